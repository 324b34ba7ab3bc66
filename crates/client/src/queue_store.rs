//! Where the stored queues live: this browser's IndexedDB (database `wasm-mqtt`, object store
//! `queues`), one record per broker URL and client id, in the text format of
//! [`stored_queue`](crate::stored_queue). IndexedDB is there in a Web Worker, which
//! localStorage is not, and holds far more than localStorage's 5 MB a site, which is less than
//! the queue's default bound. The page hands the worker the records an earlier version left in
//! localStorage ([`keep_moved`]) before the worker reads any.
//!
//! Through `indexed_db_futures`, a kept wrapper of web-sys's IndexedDB with futures in place of
//! request callbacks.

use crate::stored_queue::{client_id_of, decode, encode, key};
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use mqtt_engine::Pending;
use std::fmt;

const DATABASE: &str = "wasm-mqtt";
const QUEUES: &str = "queues";

/// Why this browser could not keep or read a stored queue.
#[derive(Debug, Clone, PartialEq)]
pub enum StorageError {
    /// No IndexedDB here (storage turned off, some private windows), or it would not open.
    Unavailable(String),
    /// The browser's storage for this site is full.
    Full,
    /// Reading or writing failed.
    Failed(String),
    /// A record is there, but not one this version can read.
    Unreadable(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(detail) => {
                write!(f, "this browser gives the page no storage ({detail})")
            }
            Self::Full => write!(f, "the browser's storage for this site is full"),
            Self::Failed(detail) => write!(f, "{detail}"),
            Self::Unreadable(detail) => write!(f, "{detail}"),
        }
    }
}

impl From<indexed_db_futures::error::Error> for StorageError {
    fn from(error: indexed_db_futures::error::Error) -> Self {
        use indexed_db_futures::error::{DomException, Error};
        match error {
            Error::DomException(DomException::Other(exception))
                if exception.name() == "QuotaExceededError" =>
            {
                Self::Full
            }
            other => Self::Failed(other.to_string()),
        }
    }
}

async fn open() -> Result<Database, StorageError> {
    Database::open(DATABASE)
        .with_version(1u8)
        .with_on_upgrade_needed(|_event, database| {
            database.create_object_store(QUEUES).build()?;
            Ok(())
        })
        .await
        .map_err(|error| StorageError::Unavailable(error.to_string()))
}

/// Stores `messages` for this broker and client id; no messages removes the record.
pub async fn save(broker: &str, client_id: &str, messages: &[Pending]) -> Result<(), StorageError> {
    let key = key(broker, client_id);
    let database = open().await?;
    let transaction = (database.transaction(QUEUES))
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    let store = transaction.object_store(QUEUES)?;
    if messages.is_empty() {
        store.delete(key).await?;
    } else {
        store.put(encode(messages)).with_key(key).await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// The messages stored for this broker and client id, oldest first.
pub async fn load(broker: &str, client_id: &str) -> Result<Vec<Pending>, StorageError> {
    let key = key(broker, client_id);
    let database = open().await?;
    let transaction = database.transaction(QUEUES).build()?;
    let store = transaction.object_store(QUEUES)?;
    let record: Option<String> = store.get(key.as_str()).await?;
    record.map_or(Ok(Vec::new()), |record| {
        decode(&record).map_err(StorageError::Unreadable)
    })
}

/// Keeps `queues`, as (key, record), where there is none for the key yet (those an earlier
/// version kept in localStorage); their keys once kept.
pub async fn keep_moved(queues: Vec<(String, String)>) -> Result<Vec<String>, StorageError> {
    let database = open().await?;
    let transaction = (database.transaction(QUEUES))
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    let store = transaction.object_store(QUEUES)?;
    let mut keys = Vec::with_capacity(queues.len());
    for (key, record) in queues {
        let kept: Option<String> = store.get(key.as_str()).await?;
        if kept.is_none() {
            store.put(record).with_key(key.as_str()).await?;
        }
        keys.push(key);
    }
    transaction.commit().await?;
    Ok(keys)
}

/// The client ids that have unsent messages stored for `broker`.
pub async fn client_ids(broker: &str) -> Vec<String> {
    let Ok(database) = open().await else {
        return Vec::new();
    };
    let keys: Result<Vec<String>, StorageError> = async {
        let transaction = database.transaction(QUEUES).build()?;
        let store = transaction.object_store(QUEUES)?;
        let keys = store.get_all_keys::<String>().await?;
        Ok(keys.filter_map(Result::ok).collect())
    }
    .await;
    (keys.unwrap_or_default().iter())
        .filter_map(|key| client_id_of(key, broker).map(str::to_string))
        .collect()
}
