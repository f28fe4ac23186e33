//! The shape of a scenario file, as serde reads it from TOML.
//!
//! Tables are structs with `deny_unknown_fields`, so a misspelt key is an
//! error at that key. Every value is a [`Leaf`] in a [`Spanned`]: serde only
//! checks the shape, and `load.rs` checks the values, where it can say what
//! it expected in the words of the file format and point at the value.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use crate::target::Target;

/// Any TOML value, kept as found.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Leaf {
    Str(String),
    /// TOML integers are i64; i128 also holds what serde hands over as u64.
    Int(i128),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Spanned<Leaf>>),
    /// Keys and values in file order.
    Table(Vec<(String, Spanned<Leaf>)>),
}

/// The key under which toml hands over a date-time (toml_datetime's
/// private serde protocol).
const DATETIME_FIELD: &str = "$__toml_private_datetime";

impl Leaf {
    /// The value as "found ..." completes it: `` `30 seconds` ``, `the
    /// integer `30``, `an array`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Leaf::Str(s) if s.is_empty() => "an empty string".to_owned(),
            Leaf::Str(s) => quote(s),
            Leaf::Int(n) => format!("the integer `{n}`"),
            Leaf::Float(x) => format!("the number `{x}`"),
            Leaf::Bool(b) => format!("`{b}`"),
            Leaf::Datetime(d) => format!("the date-time `{d}`"),
            Leaf::Array(_) => "an array".to_owned(),
            Leaf::Table(_) => "a table".to_owned(),
        }
    }
}

/// `text` in backticks, shortened and escaped so that it stays on one line.
fn quote(text: &str) -> String {
    const MAX: usize = 60;
    let mut shown: String = text.chars().take(MAX).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    if shown.contains(|c: char| c.is_control() || c == '`') {
        format!("{shown:?}")
    } else {
        format!("`{shown}`")
    }
}

impl<'de> Deserialize<'de> for Leaf {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LeafVisitor)
    }
}

struct LeafVisitor;

impl<'de> Visitor<'de> for LeafVisitor {
    type Value = Leaf;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Leaf, E> {
        Ok(Leaf::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Leaf, E> {
        Ok(Leaf::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Leaf, E> {
        Ok(Leaf::Int(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Leaf, E> {
        Ok(Leaf::Int(v))
    }

    /// Beyond i128 is as much too large as i128::MAX.
    fn visit_u128<E>(self, v: u128) -> Result<Leaf, E> {
        Ok(Leaf::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Leaf, E> {
        Ok(Leaf::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Leaf, E> {
        Ok(Leaf::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Leaf, E> {
        Ok(Leaf::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leaf, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Leaf::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Leaf, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == DATETIME_FIELD {
                let text: String = map.next_value()?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(Leaf::Datetime(text));
            }
            entries.push((key, map.next_value()?));
        }
        Ok(Leaf::Table(entries))
    }
}

pub(crate) type Value = Option<Spanned<Leaf>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub title: Value,
    pub source: Value,
    pub tags: Value,
    pub targets: Value,
    pub world: Option<Spanned<RawWorld>>,
    pub client: Option<Spanned<RawClient>>,
    pub server: Option<Spanned<RawServer>>,
    #[serde(default)]
    pub step: Vec<Spanned<RawStep>>,
    pub expect: Option<Spanned<RawExpectSection>>,
    pub seeds: Option<Spanned<RawSeeds>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSeeds {
    pub count: Value,
    pub lost_bytes: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorld {
    pub horizon: Value,
    pub latency: Value,
    pub retransmission_timeout: Value,
    pub bandwidth: Value,
    pub linger: Value,
    pub tick: Value,
    pub pipe_buffer: Value,
    pub window: Value,
    pub write_pacing: Value,
    pub files: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClient {
    #[serde(rename = "ServerAliveInterval")]
    pub server_alive_interval: Value,
    #[serde(rename = "ServerAliveCountMax")]
    pub server_alive_count_max: Value,
    #[serde(rename = "ConnectTimeout")]
    pub connect_timeout: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    #[serde(rename = "ClientAliveInterval")]
    pub client_alive_interval: Value,
    #[serde(rename = "ClientAliveCountMax")]
    pub client_alive_count_max: Value,
    #[serde(rename = "DropbearKeepalive")]
    pub dropbear_keepalive: Value,
    #[serde(rename = "KillUserProcesses")]
    pub kill_user_processes: Value,
    #[serde(rename = "ChannelTimeout")]
    pub channel_timeout: Value,
    #[serde(rename = "UnusedConnectionTimeout")]
    pub unused_connection_timeout: Value,
    #[serde(rename = "DropbearIdleTimeout")]
    pub dropbear_idle_timeout: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    pub at: Value,
    pub run: Value,
    pub net: Value,
    pub r#type: Value,
    pub wait_for: Option<Spanned<RawWaitFor>>,
    pub resize: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWaitFor {
    pub screen: Value,
    pub trace: Value,
    pub started: Value,
    pub ended: Value,
    pub host: Value,
    pub timeout: Value,
}

/// The keys of `[expect]` and of every `[expect.<target>]`. An unknown key
/// is kept in `unknown`, not a serde error: serde's would stop the first
/// pass, and be reported before an unknown key of `[expect]` above it.
#[derive(Default)]
pub(crate) struct RawExpect {
    pub client: Option<Spanned<RawClientExpect>>,
    pub lost_bytes: Value,
    pub stdout_bytes: Value,
    pub stderr_bytes: Value,
    pub survivors: Value,
    pub screen: Value,
    pub stdout: Value,
    pub stderr: Value,
    pub order: Value,
    pub order_any: Value,
    pub survivors_any: Value,
    pub files: Value,
    pub unknown: Vec<(Spanned<String>, Spanned<Leaf>)>,
}

impl RawExpect {
    /// Reads the value of `key` if it is one of the keys; false if not.
    fn read_key<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match key {
            "client" => self.client = Some(map.next_value()?),
            "lost_bytes" => self.lost_bytes = Some(map.next_value()?),
            "stdout_bytes" => self.stdout_bytes = Some(map.next_value()?),
            "stderr_bytes" => self.stderr_bytes = Some(map.next_value()?),
            "survivors" => self.survivors = Some(map.next_value()?),
            "screen" => self.screen = Some(map.next_value()?),
            "stdout" => self.stdout = Some(map.next_value()?),
            "stderr" => self.stderr = Some(map.next_value()?),
            "order" => self.order = Some(map.next_value()?),
            "order_any" => self.order_any = Some(map.next_value()?),
            "survivors_any" => self.survivors_any = Some(map.next_value()?),
            "files" => self.files = Some(map.next_value()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for RawExpect {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TargetExpectVisitor)
    }
}

struct TargetExpectVisitor;

impl<'de> Visitor<'de> for TargetExpectVisitor {
    type Value = RawExpect;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawExpect, A::Error> {
        let mut expect = RawExpect::default();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            if !expect.read_key(key.get_ref(), &mut map)? {
                expect.unknown.push((key, map.next_value()?));
            }
        }
        Ok(expect)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClientExpect {
    pub exit: Value,
    pub exit_any: Value,
    pub after: Value,
    pub within: Value,
}

/// `[expect]`: the base keys, and one table per target. A key that is
/// neither is kept in `unknown` for the loader to explain.
#[derive(Default)]
pub(crate) struct RawExpectSection {
    pub base: RawExpect,
    pub by_target: Vec<(Spanned<String>, Spanned<RawExpect>)>,
    pub by_lane: Vec<(Spanned<String>, Spanned<RawExpect>)>,
    pub unknown: Vec<(Spanned<String>, Spanned<Leaf>)>,
}

impl<'de> Deserialize<'de> for RawExpectSection {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ExpectVisitor)
    }
}

struct ExpectVisitor;

impl<'de> Visitor<'de> for ExpectVisitor {
    type Value = RawExpectSection;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawExpectSection, A::Error> {
        let mut section = RawExpectSection::default();
        // TOML itself rejects a key that is set twice.
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            if section.base.read_key(key.get_ref(), &mut map)? {
                continue;
            }
            if crate::model::LaneKind::from_name(key.get_ref()).is_some() {
                section.by_lane.push((key, map.next_value()?));
            } else if key.get_ref().parse::<Target>().is_ok() {
                section.by_target.push((key, map.next_value()?));
            } else {
                section.unknown.push((key, map.next_value()?));
            }
        }
        Ok(section)
    }
}
