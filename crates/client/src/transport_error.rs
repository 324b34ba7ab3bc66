//! What can go wrong with the WebSocket under the session, in words a user can read.
//!
//! Browsers tell a page very little about a failed WebSocket: a refused port, an unreachable
//! host and a server that does not speak WebSocket all end with close code 1006 and no reason.
//! What the driver does know is how far the link got (did it open? did CONNACK come?), and that
//! is what the wording rests on. Each is a value with the words a user reads as its `Display`.

use std::fmt;

/// What is wrong with a broker's address, found before trying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    Empty,
    /// No `scheme://` at all.
    NotWebSocket {
        url: String,
    },
    /// `http://` or `https://`, where `ws://` or `wss://` was meant.
    Http {
        scheme: String,
        rest: String,
    },
    /// A scheme of plain TCP, which a browser cannot open.
    Tcp {
        scheme: String,
    },
    OtherScheme {
        scheme: String,
    },
    NoHost {
        url: String,
    },
    Space {
        url: String,
    },
    /// `ws://` from a page served over https, to another machine: the browser blocks it.
    InsecureFromHttps,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(
                f,
                "enter the broker's address, such as ws://broker.emqx.io:8083/mqtt"
            ),
            Self::NotWebSocket { url } => write!(
                f,
                "'{url}' is not a WebSocket address: it must start with ws:// or wss://, as in \
                 ws://broker.emqx.io:8083/mqtt"
            ),
            Self::Http { scheme, rest } => {
                let wanted = if scheme == "https" { "wss" } else { "ws" };
                write!(
                    f,
                    "the address starts with {scheme}://; an MQTT broker over WebSocket is \
                     reached with {wanted}://{rest}"
                )
            }
            Self::Tcp { scheme } => write!(
                f,
                "a browser cannot open plain TCP connections, so {scheme}:// is out of reach: \
                 use the broker's WebSocket listener, as in ws://broker.emqx.io:8083/mqtt"
            ),
            Self::OtherScheme { scheme } => write!(
                f,
                "'{scheme}://' is not a WebSocket address: it must start with ws:// or wss://"
            ),
            Self::NoHost { url } => write!(f, "the address {url} names no host"),
            Self::Space { url } => write!(f, "the address '{url}' contains a space"),
            Self::InsecureFromHttps => write!(
                f,
                "this page was loaded over https, so the browser allows only secure WebSockets: \
                 use wss:// instead of ws:// (for broker.emqx.io, wss://broker.emqx.io:8084/mqtt)"
            ),
        }
    }
}

/// Checks what the browser would refuse, or what cannot be an MQTT broker over WebSocket, before
/// trying it. `page_is_https`: browsers block `ws://` from a page served over `https://`,
/// except to the local machine.
pub fn check_broker_url(url: &str, page_is_https: bool) -> Result<(), UrlError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(UrlError::Empty);
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(UrlError::NotWebSocket { url: url.into() });
    };
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "ws" | "wss" => {}
        "http" | "https" => {
            return Err(UrlError::Http {
                scheme,
                rest: rest.into(),
            })
        }
        "mqtt" | "mqtts" | "tcp" | "ssl" | "tls" => return Err(UrlError::Tcp { scheme }),
        _ => return Err(UrlError::OtherScheme { scheme }),
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(UrlError::NoHost { url: url.into() });
    }
    if url.chars().any(char::is_whitespace) {
        return Err(UrlError::Space { url: url.into() });
    }
    if page_is_https && scheme == "ws" && !is_local_host(rest) {
        return Err(UrlError::InsecureFromHttps);
    }
    Ok(())
}

fn is_local_host(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") || host == "::1"
}

/// How far a WebSocket link got before it closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The WebSocket never opened.
    NotOpened,
    /// The WebSocket opened; no CONNACK came.
    Opened,
    /// CONNACK came: the broker spoke MQTT.
    Connected,
}

/// How a link under the session ended, as the browser told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// The WebSocket closed, with its close code and reason, this far into the link.
    Closed {
        url: String,
        progress: Progress,
        code: u16,
        reason: String,
    },
    /// The server sent a text message, which MQTT never does.
    TextMessage { url: String },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed {
                url,
                progress,
                code,
                reason,
            } => {
                let detail = close_detail(*code, reason);
                match progress {
                    Progress::NotOpened if *code == 1015 => write!(
                        f,
                        "could not open a secure WebSocket to {url}: the TLS handshake failed \
                         ({detail})"
                    ),
                    Progress::NotOpened => write!(
                        f,
                        "could not open a WebSocket to {url}: nothing accepted the connection \
                         there. The port may be closed, the host unreachable, or the server \
                         there does not speak MQTT over WebSocket ({detail})"
                    ),
                    Progress::Opened => write!(
                        f,
                        "the server at {url} accepted the WebSocket but closed it before \
                         answering CONNECT: it did not speak MQTT over WebSocket, or it refused \
                         this client ({detail})"
                    ),
                    Progress::Connected => match code {
                        1000 | 1001 => write!(f, "the broker closed the connection ({detail})"),
                        1006 => write!(f, "the connection to the broker was lost ({detail})"),
                        _ => write!(f, "the broker closed the WebSocket ({detail})"),
                    },
                }
            }
            Self::TextMessage { url } => write!(
                f,
                "the server at {url} sent a text message; MQTT over WebSocket uses binary \
                 messages only, so this is not an MQTT broker"
            ),
        }
    }
}

fn close_detail(code: u16, reason: &str) -> String {
    let meaning = match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1006 => "closed without a close frame",
        1007 => "invalid data",
        1008 => "policy violation",
        1009 => "message too big",
        1011 => "server error",
        1015 => "TLS handshake failure",
        _ => "",
    };
    let mut detail = format!("WebSocket close code {code}");
    if !meaning.is_empty() {
        detail.push_str(": ");
        detail.push_str(meaning);
    }
    let reason = reason.trim();
    if !reason.is_empty() {
        detail.push_str(&format!(", \"{reason}\""));
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_addresses_pass() {
        for url in [
            "ws://broker.emqx.io:8083/mqtt",
            "wss://broker.emqx.io:8084/mqtt",
            "WS://127.0.0.1:9001",
            " ws://localhost/mqtt ",
        ] {
            assert_eq!(check_broker_url(url, false), Ok(()), "{url}");
        }
    }

    #[test]
    fn other_addresses_are_named_with_the_fix() {
        let error = |url| check_broker_url(url, false).unwrap_err();
        assert_eq!(error(""), UrlError::Empty);
        assert!(error("").to_string().contains("enter the broker's address"));
        let http = error("http://broker.emqx.io:8083/mqtt");
        assert!(matches!(http, UrlError::Http { .. }));
        assert!(http
            .to_string()
            .contains("reached with ws://broker.emqx.io:8083/mqtt"));
        assert!(error("https://h/mqtt").to_string().contains("wss://h/mqtt"));
        let tcp = error("mqtt://broker.emqx.io:1883");
        assert!(matches!(tcp, UrlError::Tcp { .. }));
        assert!(tcp.to_string().contains("cannot open plain TCP"));
        let bare = error("broker.emqx.io:8083");
        assert!(matches!(bare, UrlError::NotWebSocket { .. }));
        assert!(bare.to_string().contains("must start with ws:// or wss://"));
        let ftp = error("ftp://h");
        assert!(matches!(ftp, UrlError::OtherScheme { .. }));
        assert!(ftp.to_string().contains("must start with ws:// or wss://"));
        let no_host = error("ws://");
        assert!(matches!(no_host, UrlError::NoHost { .. }));
        assert!(no_host.to_string().contains("names no host"));
        let space = error("ws://a b");
        assert!(matches!(space, UrlError::Space { .. }));
        assert!(space.to_string().contains("space"));
    }

    #[test]
    fn an_https_page_needs_wss_except_to_this_machine() {
        let refused = check_broker_url("ws://broker.emqx.io:8083/mqtt", true);
        assert_eq!(refused, Err(UrlError::InsecureFromHttps));
        assert!(refused.unwrap_err().to_string().contains("use wss://"));
        assert_eq!(
            check_broker_url("wss://broker.emqx.io:8084/mqtt", true),
            Ok(())
        );
        assert_eq!(check_broker_url("ws://localhost:8083/mqtt", true), Ok(()));
        assert_eq!(check_broker_url("ws://127.0.0.1:8083", true), Ok(()));
        assert_eq!(check_broker_url("ws://[::1]:8083", true), Ok(()));
    }

    #[test]
    fn closes_are_told_by_how_far_the_link_got() {
        let closed = |progress, code, reason: &str| {
            LinkError::Closed {
                url: "ws://h:1/mqtt".into(),
                progress,
                code,
                reason: reason.into(),
            }
            .to_string()
        };
        let refused = closed(Progress::NotOpened, 1006, "");
        assert!(refused.contains("could not open a WebSocket to ws://h:1/mqtt"));
        assert!(refused.contains("does not speak MQTT over WebSocket"));
        assert!(refused.contains("close code 1006: closed without a close frame"));
        let not_mqtt = closed(Progress::Opened, 1002, "bad frame");
        assert!(not_mqtt.contains("closed it before answering CONNECT"));
        assert!(not_mqtt.contains("1002: protocol error, \"bad frame\""));
        assert!(closed(Progress::Connected, 1006, "").contains("was lost"));
        assert!(closed(Progress::NotOpened, 1015, "").contains("TLS"));
        let text = LinkError::TextMessage {
            url: "ws://h:1/mqtt".into(),
        };
        assert!(text.to_string().contains("sent a text message"));
    }
}
