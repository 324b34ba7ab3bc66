//! What can go wrong with the WebSocket under the session, in words a user can read.
//!
//! Browsers tell a page very little about a failed WebSocket: a refused port, an unreachable
//! host and a server that does not speak WebSocket all end with close code 1006 and no reason.
//! What the driver does know is how far the link got (did it open? did CONNACK come?), and that
//! is what the wording rests on.

/// Checks what the browser would refuse, or what cannot be an MQTT broker over WebSocket, before
/// trying it. `page_is_https`: browsers block `ws://` from a page served over `https://`,
/// except to the local machine.
pub fn check_broker_url(url: &str, page_is_https: bool) -> Result<(), String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("enter the broker's address, such as ws://broker.emqx.io:8083/mqtt".into());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "'{url}' is not a WebSocket address: it must start with ws:// or wss://, \
             as in ws://broker.emqx.io:8083/mqtt"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "ws" | "wss" => {}
        "http" | "https" => {
            let wanted = if scheme == "https" { "wss" } else { "ws" };
            return Err(format!(
                "the address starts with {scheme}://; an MQTT broker over WebSocket is reached \
                 with {wanted}://{rest}"
            ));
        }
        "mqtt" | "mqtts" | "tcp" | "ssl" | "tls" => {
            return Err(format!(
                "a browser cannot open plain TCP connections, so {scheme}:// is out of reach: \
                 use the broker's WebSocket listener, as in ws://broker.emqx.io:8083/mqtt"
            ));
        }
        _ => {
            return Err(format!(
                "'{scheme}://' is not a WebSocket address: it must start with ws:// or wss://"
            ))
        }
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("the address {url} names no host"));
    }
    if url.chars().any(char::is_whitespace) {
        return Err(format!("the address '{url}' contains a space"));
    }
    if page_is_https && scheme == "ws" && !is_local_host(rest) {
        return Err(
            "this page was loaded over https, so the browser allows only secure WebSockets: \
             use wss:// instead of ws:// (for broker.emqx.io, wss://broker.emqx.io:8084/mqtt)"
                .into(),
        );
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

/// The reason a user reads when the WebSocket closes under the session.
pub fn describe_close(url: &str, progress: Progress, code: u16, reason: &str) -> String {
    let detail = close_detail(code, reason);
    match progress {
        Progress::NotOpened if code == 1015 => format!(
            "could not open a secure WebSocket to {url}: the TLS handshake failed ({detail})"
        ),
        Progress::NotOpened => format!(
            "could not open a WebSocket to {url}: nothing accepted the connection there. \
             The port may be closed, the host unreachable, or the server there does not speak \
             MQTT over WebSocket ({detail})"
        ),
        Progress::Opened => format!(
            "the server at {url} accepted the WebSocket but closed it before answering CONNECT: \
             it did not speak MQTT over WebSocket, or it refused this client ({detail})"
        ),
        Progress::Connected => match code {
            1000 | 1001 => format!("the broker closed the connection ({detail})"),
            1006 => format!("the connection to the broker was lost ({detail})"),
            _ => format!("the broker closed the WebSocket ({detail})"),
        },
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

/// The reason a user reads when the server sends a text message, which MQTT never does.
pub fn text_frame_reason(url: &str) -> String {
    format!(
        "the server at {url} sent a text message; MQTT over WebSocket uses binary messages only, \
         so this is not an MQTT broker"
    )
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
        assert!(error("").contains("enter the broker's address"));
        assert!(error("http://broker.emqx.io:8083/mqtt")
            .contains("reached with ws://broker.emqx.io:8083/mqtt"));
        assert!(error("https://h/mqtt").contains("wss://h/mqtt"));
        assert!(error("mqtt://broker.emqx.io:1883").contains("cannot open plain TCP"));
        assert!(error("broker.emqx.io:8083").contains("must start with ws:// or wss://"));
        assert!(error("ftp://h").contains("must start with ws:// or wss://"));
        assert!(error("ws://").contains("names no host"));
        assert!(error("ws://a b").contains("space"));
    }

    #[test]
    fn an_https_page_needs_wss_except_to_this_machine() {
        assert!(check_broker_url("ws://broker.emqx.io:8083/mqtt", true)
            .unwrap_err()
            .contains("use wss://"));
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
        let url = "ws://h:1/mqtt";
        let refused = describe_close(url, Progress::NotOpened, 1006, "");
        assert!(refused.contains("could not open a WebSocket to ws://h:1/mqtt"));
        assert!(refused.contains("does not speak MQTT over WebSocket"));
        assert!(refused.contains("close code 1006: closed without a close frame"));
        let not_mqtt = describe_close(url, Progress::Opened, 1002, "bad frame");
        assert!(not_mqtt.contains("closed it before answering CONNECT"));
        assert!(not_mqtt.contains("1002: protocol error, \"bad frame\""));
        assert!(describe_close(url, Progress::Connected, 1006, "").contains("was lost"));
        assert!(describe_close(url, Progress::NotOpened, 1015, "").contains("TLS"));
    }
}
