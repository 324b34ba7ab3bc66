//! `QoS` (mqttbytes') as its number, for `#[serde(with = "mqtt_engine::qos_serde")]`.

use mqttbytes::QoS;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<S: Serializer>(qos: &QoS, serializer: S) -> Result<S::Ok, S::Error> {
    (*qos as u8).serialize(serializer)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<QoS, D::Error> {
    match u8::deserialize(deserializer)? {
        0 => Ok(QoS::AtMostOnce),
        1 => Ok(QoS::AtLeastOnce),
        2 => Ok(QoS::ExactlyOnce),
        other => Err(serde::de::Error::custom(format!(
            "QoS {other} is not 0, 1 or 2"
        ))),
    }
}
