//! Brokers started by one test on free loopback ports, and stopped by PID when the test ends,
//! also when it panics. A missing broker fails the test: it is never skipped.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};
use tempfile::TempDir;

const START_LIMIT: Duration = Duration::from_secs(10);

/// A broker's process, killed on drop. Its stderr goes to a log file, shown when it fails.
struct BrokerProcess {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl BrokerProcess {
    fn spawn(name: &'static str, mut command: Command, log: PathBuf, hint: &str) -> Self {
        let stderr = File::create(&log).expect("create the broker's log file");
        command.stderr(stderr);
        match command.spawn() {
            Ok(child) => Self { name, child, log },
            Err(error) => panic!(
                "cannot start {name} ({:?}): {error}. {hint}",
                command.get_program()
            ),
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `Some(description)` once the process has ended.
    fn exited(&mut self) -> Option<String> {
        let status = self.child.try_wait().expect("wait for the broker")?;
        Some(format!(
            "{} exited ({status}); its log:\n{}",
            self.name,
            self.log()
        ))
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!(
                "--- {} log ---\n{}--- end of log ---",
                self.name,
                self.log()
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on at the moment of asking; the broker binds it right after.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().unwrap().port()
}

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn find_program(env_var: &str, candidates: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(env_var) {
        return PathBuf::from(path);
    }
    let found = candidates
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists());
    // A bare name is looked up on PATH by `Command`, and fails there with a clear message.
    found.unwrap_or_else(|| PathBuf::from(Path::new(candidates[0]).file_name().unwrap()))
}

/// Mosquitto with a TCP listener (it will not start without one) and a WebSocket listener.
pub struct Mosquitto {
    pub ws_port: u16,
    pub tcp_port: u16,
    process: BrokerProcess,
    /// Times started: names each run's log file.
    runs: usize,
    dir: TempDir,
}

/// What the broker asks of clients: users with passwords, or topics anonymous clients may not
/// use. The settings are global, so they hold on both listeners.
#[derive(Default)]
pub struct MosquittoSetup {
    users: Vec<(String, String)>,
    denied: Vec<String>,
    durable: Option<Durability>,
}

/// How a persistent broker keeps its database, and how many messages it lets through.
#[derive(Debug, Clone, Copy)]
pub struct Durability {
    /// `autosave_on_changes true`, `autosave_interval 1`: save the database in the first loop
    /// pass after any change Mosquitto counts (subscriptions, retained and queued messages).
    /// False: save it once a second.
    pub save_on_changes: bool,
    /// `max_inflight_messages`: QoS 1/2 messages in flight per client, each way (and the
    /// Receive Maximum announced to MQTT 5.0 clients); 0 for no limit.
    pub max_inflight_messages: u16,
    /// `max_queued_messages`: messages queued per client past those in flight; 0 for no limit.
    /// Mosquitto 2.0.11 also compares each client's pending outgoing packets with it after
    /// refusing a publish (e.g. "quota exceeded"): with 0 it then drops the link, every time.
    /// A large number is the safe "unbounded".
    pub max_queued_messages: u32,
}

impl Mosquitto {
    /// An anonymous broker.
    pub fn start() -> Self {
        Self::setup().start()
    }

    pub fn setup() -> MosquittoSetup {
        MosquittoSetup::default()
    }

    /// What the broker has logged so far (since its last restart).
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// The directory of its config, logs and (when persistent) `mosquitto.db`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// When the broker last began writing its database: the state it will read if started
    /// again now is its state then. Mosquitto writes `mosquitto.db.new` and renames it, so the
    /// file's birth time is the start of the write (its modification time is the end, which
    /// can come tens of milliseconds later with a large database, while the broker reads
    /// nothing from its clients). `None` before the first save.
    pub fn saved_at(&self) -> Option<SystemTime> {
        let metadata = fs::metadata(self.dir.path().join("mosquitto.db")).ok()?;
        metadata.created().or_else(|_| metadata.modified()).ok()
    }

    /// Kills the broker as a crash would (SIGKILL: no goodbye, no last save) and reaps it.
    /// The ports and the directory stay for `restart`.
    pub fn kill(&mut self) {
        self.process.child.kill().expect("kill -9 mosquitto");
        self.process.child.wait().expect("reap mosquitto");
    }

    /// Starts the broker again after `kill`, on the same ports with the same config and
    /// persistence directory; returns once it accepts WebSocket connections.
    pub fn restart(&mut self) {
        assert!(
            self.process.exited().is_some(),
            "restart: mosquitto is still running"
        );
        self.runs += 1;
        match spawn_mosquitto(self.dir.path(), self.runs, self.ws_port) {
            Ok(process) => self.process = process,
            Err(failure) => panic!("Mosquitto did not start again:\n{failure}"),
        }
    }

    /// Freezes the broker (SIGSTOP): its sockets stay open, but it answers nothing. Drop still
    /// kills it.
    pub fn freeze(&self) {
        let status = Command::new("kill")
            .arg("-STOP")
            .arg(self.process.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -STOP failed");
    }
}

impl MosquittoSetup {
    /// Requires a user name and password, and adds this user.
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.users.push((name.into(), password.into()));
        self
    }

    /// Keeps sessions and queued messages in `mosquitto.db` in the broker's directory, read
    /// again on restart, as `durability` says. With `MOSQUITTO_LOG_ALL` set in the environment
    /// it also logs every packet (`log_type all`), one log file per run in its directory.
    pub fn persistent(mut self, durability: Durability) -> Self {
        self.durable = Some(durability);
        self
    }

    /// Refuses subscriptions to, and messages published on, topics matching `filter`. This takes
    /// the dynamic security plugin: Mosquitto 2.0's `acl_file` never refuses a SUBSCRIBE (it
    /// filters what is delivered instead).
    pub fn deny(mut self, filter: &str) -> Self {
        self.denied.push(filter.into());
        self
    }

    pub fn start(self) -> Mosquitto {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let mut failures = Vec::new();
        // Another program may take a free port before Mosquitto binds it: try again then.
        for _ in 0..3 {
            match self.try_start(&dir) {
                Ok((process, tcp_port, ws_port)) => {
                    return Mosquitto {
                        ws_port,
                        tcp_port,
                        process,
                        runs: 1,
                        dir,
                    }
                }
                Err(failure) => failures.push(failure),
            }
        }
        panic!("Mosquitto did not start:\n{}", failures.join("\n"));
    }

    fn try_start(&self, dir: &TempDir) -> Result<(BrokerProcess, u16, u16), String> {
        let (tcp_port, ws_port) = (free_port(), free_port());
        assert!(
            self.users.is_empty() || self.denied.is_empty(),
            "users and denied topics together are not set up by this harness"
        );
        // No inline comments: Mosquitto reads `key value # x` as an error.
        let mut config = vec![
            "user root".to_string(),
            "log_dest stderr".into(),
            format!("listener {tcp_port} 127.0.0.1"),
            format!("listener {ws_port} 127.0.0.1"),
            "protocol websockets".into(),
        ];
        if self.users.is_empty() {
            config.push("allow_anonymous true".into());
        } else {
            let passwords = dir.path().join("passwords");
            write_password_file(&passwords, &self.users);
            config.push("allow_anonymous false".into());
            config.push(format!("password_file {}", passwords.display()));
        }
        if !self.denied.is_empty() {
            let path = dir.path().join("dynamic-security.json");
            fs::write(&path, dynamic_security_config(&self.denied)).expect("write the ACLs");
            config.push(format!("plugin {}", dynamic_security_plugin().display()));
            config.push(format!("plugin_opt_config_file {}", path.display()));
        }
        if let Some(durability) = self.durable {
            // Each setting on its own line: Mosquitto reads no inline comments.
            config.push("persistence true".into());
            if std::env::var_os("MOSQUITTO_LOG_ALL").is_some() {
                config.push("log_type all".into());
            }
            // The trailing slash matters: Mosquitto appends the file name to it as it is.
            config.push(format!("persistence_location {}/", dir.path().display()));
            config.push(format!(
                "autosave_on_changes {}",
                durability.save_on_changes
            ));
            config.push("autosave_interval 1".into());
            config.push(format!(
                "max_queued_messages {}",
                durability.max_queued_messages
            ));
            config.push(format!(
                "max_inflight_messages {}",
                durability.max_inflight_messages
            ));
        }
        let config = config.join("\n");
        let config_path = dir.path().join("mosquitto.conf");
        fs::write(&config_path, config + "\n").expect("write mosquitto.conf");
        let process = spawn_mosquitto(dir.path(), 1, ws_port)?;
        Ok((process, tcp_port, ws_port))
    }
}

/// Runs Mosquitto on `dir/mosquitto.conf`, logging to `dir/mosquitto-RUN.log`, and waits until
/// it accepts connections on `ws_port`.
fn spawn_mosquitto(dir: &Path, run: usize, ws_port: u16) -> Result<BrokerProcess, String> {
    let program = find_program("MOSQUITTO", &["/usr/sbin/mosquitto"]);
    let mut command = Command::new(&program);
    command
        .arg("-c")
        .arg(dir.join("mosquitto.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut process = BrokerProcess::spawn(
        "mosquitto",
        command,
        dir.join(format!("mosquitto-{run}.log")),
        "Install the Debian package `mosquitto` (scripts/setup does), \
         or set MOSQUITTO to its path.",
    );
    let give_up = Instant::now() + START_LIMIT;
    loop {
        if let Some(exit) = process.exited() {
            return Err(exit);
        }
        // "running" is logged once every listener is open.
        if process.log().contains(" running") && accepts_connections(ws_port) {
            return Ok(process);
        }
        if Instant::now() > give_up {
            return Err(format!(
                "mosquitto did not listen on {ws_port} within {START_LIMIT:?}; its log:\n{}",
                process.log()
            ));
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// Anonymous clients get a role that may neither subscribe to nor publish on `denied`.
fn dynamic_security_config(denied: &[String]) -> String {
    let acls: Vec<String> = denied
        .iter()
        .flat_map(|filter| {
            ["subscribePattern", "publishClientSend"].map(|kind| {
                format!(
                    r#"{{"acltype": "{kind}", "topic": "{filter}", "priority": 0, "allow": false}}"#
                )
            })
        })
        .collect();
    format!(
        r#"{{
  "defaultACLAccess": {{"publishClientSend": true, "publishClientReceive": true,
                        "subscribe": true, "unsubscribe": true}},
  "clients": [],
  "groups": [{{"groupname": "anonymous", "roles": [{{"rolename": "limited"}}]}}],
  "anonymousGroup": "anonymous",
  "roles": [{{"rolename": "limited", "acls": [{}]}}]
}}
"#,
        acls.join(", ")
    )
}

/// Debian ships the plugin with `mosquitto`, under /usr/lib/<multiarch triple>/.
fn dynamic_security_plugin() -> PathBuf {
    const NAME: &str = "mosquitto_dynamic_security.so";
    if let Some(path) = std::env::var_os("MOSQUITTO_DYNSEC") {
        return PathBuf::from(path);
    }
    let lib = Path::new("/usr/lib");
    let mut candidates = vec![lib.join(NAME)];
    if let Ok(entries) = fs::read_dir(lib) {
        candidates.extend(entries.flatten().map(|entry| entry.path().join(NAME)));
    }
    candidates
        .into_iter()
        .find(|path| path.exists())
        .unwrap_or_else(|| {
            panic!(
                "{NAME} not found under /usr/lib: install the Debian package `mosquitto`, \
                 or set MOSQUITTO_DYNSEC to its path"
            )
        })
}

fn write_password_file(path: &Path, users: &[(String, String)]) {
    for (index, (name, password)) in users.iter().enumerate() {
        let mut command = Command::new(find_program(
            "MOSQUITTO_PASSWD",
            &["/usr/bin/mosquitto_passwd"],
        ));
        if index == 0 {
            command.arg("-c");
        }
        let output = command
            .arg("-b")
            .arg(path)
            .arg(name)
            .arg(password)
            .output()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot run mosquitto_passwd: {error}. Install the Debian package `mosquitto`."
                )
            });
        assert!(
            output.status.success(),
            "mosquitto_passwd failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// aedes (node), served over `ws` by tests/brokers/aedes.mjs: MQTT 3.1.1 only.
pub struct Aedes {
    pub ws_port: u16,
    process: BrokerProcess,
    _dir: TempDir,
}

impl Aedes {
    pub fn start() -> Self {
        let engine = Path::new(env!("CARGO_MANIFEST_DIR"));
        // The repository's scripts/, two levels up from crates/engine.
        let scripts = engine.join("../../scripts");
        assert!(
            scripts.join("node_modules/aedes").is_dir() && scripts.join("node_modules/ws").is_dir(),
            "aedes and ws are not installed in {}: run scripts/setup (npm ci in scripts/)",
            scripts.display()
        );
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let mut command = Command::new(find_program("NODE", &["node"]));
        command
            .arg(engine.join("tests/brokers/aedes.mjs"))
            .arg(&scripts)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut process = BrokerProcess::spawn(
            "aedes",
            command,
            dir.path().join("aedes.log"),
            "Install node (Debian `nodejs`), or set NODE to its path.",
        );
        // The script prints `listening PORT` once its server is up.
        let stdout = process.child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = sender.send(line);
            }
        });
        let give_up = Instant::now() + START_LIMIT;
        loop {
            if let Ok(line) = receiver.recv_timeout(Duration::from_millis(20)) {
                if let Some(port) = line.strip_prefix("listening ") {
                    let ws_port = port.trim().parse().expect("aedes printed a port");
                    return Self {
                        ws_port,
                        process,
                        _dir: dir,
                    };
                }
            }
            if let Some(exit) = process.exited() {
                panic!("{exit}");
            }
            assert!(
                Instant::now() < give_up,
                "aedes printed no port within {START_LIMIT:?}; its log:\n{}",
                process.log()
            );
        }
    }

    pub fn log(&self) -> String {
        self.process.log()
    }
}
