//! A span-carrying generic YAML tree.
//!
//! serde stops at the first error in a typed struct, but organizers want every
//! mistake of a file at once. So the file is first read into [`Node`]s, each
//! with the line and column it came from, and [`super::raw`] then checks every
//! key by hand, collecting problems instead of stopping.
//!
//! The tree is built from the YAML parser's events ([`events`]); serde-saphyr,
//! which chat files were read with before, still reads the files that builder
//! leaves to it (syntax errors, tags, merge keys, ...), so both ways give the
//! same tree and the same messages.

mod events;
#[cfg(test)]
mod oracle;
mod scalar;

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// Where a node starts in its file: 1-based line and column (characters),
/// and the byte range of its source text when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    pub line: usize,
    pub column: usize,
    /// Byte offset and length of the node's text in the file.
    pub bytes: Option<(usize, usize)>,
}

impl Loc {
    fn from_saphyr(loc: serde_saphyr::Location) -> Self {
        let span = loc.span();
        let bytes = match (span.byte_offset(), span.byte_len()) {
            (Some(o), Some(l)) => Some((o as usize, l as usize)),
            _ => None,
        };
        Self {
            line: loc.line() as usize,
            column: loc.column() as usize,
            bytes,
        }
    }
}

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
}

/// The shapes a node can have. Scalars keep the text the organizer wrote
/// where it matters (strings); numbers keep their value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// A word for "what was found" in messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            value: spanned.value,
            loc: Loc::from_saphyr(spanned.referenced),
        })
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Node, Node>()? {
            entries.push((k, v));
        }
        Ok(Value::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl Node {
    /// The text the organizer wrote for this node, when the file has it.
    pub fn source_text<'s>(&self, src: &'s str) -> Option<&'s str> {
        let (start, len) = self.loc.bytes?;
        src.get(start..start.checked_add(len)?)
    }
}

/// Reads `src` into a tree, or the one syntax error with its location.
pub fn parse(src: &str) -> Result<Node, (Loc, String)> {
    match events::build(src) {
        Some(root) => Ok(root),
        None => match events::refused(src, super::bounds::MAX_VALUES) {
            Some(refused) => Err(refused),
            None => parse_with_serde_saphyr(src),
        },
    }
}

/// [`parse`] through serde-saphyr's deserializer: the files the event
/// builder leaves to it, and the oracle its tests compare with.
fn parse_with_serde_saphyr(src: &str) -> Result<Node, (Loc, String)> {
    serde_saphyr::from_str_with_options::<Node>(src, options()).map_err(|err| {
        let loc = err.location().map(Loc::from_saphyr).unwrap_or(Loc {
            line: 1,
            column: 1,
            bytes: None,
        });
        (loc, first_line(&err.to_string()))
    })
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        with_snippet: false,
        strict_booleans: true,
    }
}

/// serde-saphyr may append a snippet or location; keep the sentence.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("invalid YAML").trim();
    // The location is reported separately; drop serde-saphyr's own copy.
    match line.rfind(" at line ") {
        Some(i) if line[i..].contains("column") => line[..i].to_string(),
        _ => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_line_column_and_source_text() {
        let src = "title: Hi there\nn: 12\nq:\n  - a\n  - at: 5m\n    text: \"x {y}\"\nw: false\n";
        let root = parse(src).unwrap();
        let Value::Map(entries) = &root.value else {
            panic!("not a map: {root:?}")
        };
        let (key, n) = &entries[1];
        assert_eq!(key.value, Value::Str("n".into()));
        assert_eq!((n.loc.line, n.loc.column), (2, 4));
        assert_eq!(n.value, Value::Int(12));
        assert_eq!(n.source_text(src), Some("12"));
        let Value::Seq(items) = &entries[2].1.value else {
            panic!()
        };
        let Value::Map(q) = &items[1].value else {
            panic!()
        };
        assert_eq!((q[1].1.loc.line, q[1].1.loc.column), (6, 11));
        assert_eq!(q[1].1.source_text(src), Some("\"x {y}\""));
        assert_eq!(entries[3].1.value, Value::Bool(false));
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let (loc, message) = parse("title: a\n  bad: [\n").unwrap_err();
        assert!(loc.line >= 1, "{loc:?}");
        assert!(!message.is_empty());
    }
}
