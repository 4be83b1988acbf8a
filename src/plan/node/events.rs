//! The [`Node`] tree built straight from granit-parser's events.
//!
//! serde-saphyr reads YAML with the same parser, but its `Spanned<T>` feeds
//! each node's location through a map-shaped serde deserialization: most of
//! the time `tweetchat check` spent on a chat file. Building the tree from the
//! events skips that, and gives the same tree for what chat files contain:
//! plain, quoted and block scalars, lists, mappings, anchors and aliases.
//!
//! Whatever serde-saphyr would reject or treat specially, this builder does
//! not try to imitate: it answers `None` and [`super::parse`] asks
//! serde-saphyr, so messages, locations and rare features (tags, merge keys
//! `<<`, several documents, an empty file) stay exactly as they were. That
//! covers every syntax error, a key written twice (or two keys that might be
//! the same to serde-saphyr), a non-finite float, a recursive alias, and
//! files big or deep enough to come near serde-saphyr's budget.

use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;

use granit_parser::{Event, Parser, ScalarStyle, Span};

use super::{Loc, Node, Value, scalar};

/// Nesting beyond which serde-saphyr's depth budget (64) might apply, and
/// beyond which a file is refused ([`refused`]).
pub const MAX_DEPTH: usize = 40;
/// Nodes (aliased copies included) beyond which its node, event and
/// anchor-recording budgets might apply; also the cap against alias bombs.
const MAX_NODES: usize = 100_000;
/// Scalar bytes (copies included) beyond which its scalar budget might apply.
const MAX_SCALAR_BYTES: usize = 4 << 20;
/// Aliases from which its alias-to-anchor ratio check starts (100).
const MAX_ALIASES: usize = 99;
/// Anchors beyond which its anchor budget might apply.
const MAX_ANCHORS: usize = 10_000;
/// Files larger than this go to serde-saphyr whole (comment budget).
const MAX_SOURCE_BYTES: usize = 8 << 20;

/// The tree of `src`, or `None` when serde-saphyr should decide.
pub fn build(src: &str) -> Option<Node> {
    if src.len() > MAX_SOURCE_BYTES {
        return None;
    }
    let mut builder = Builder::default();
    for event in Parser::new_from_str_with_options(src, parser_options(src)) {
        let (event, span) = event.ok()?;
        if builder.event(event, span)?.is_break() {
            break;
        }
    }
    builder.root
}

/// Why `src` is refused before serde-saphyr reads it, and where: nested
/// deeper than [`MAX_DEPTH`] (serde-saphyr recurses per level, and a few
/// hundred levels, a line of `[`, overflow a loader thread's stack and
/// abort the process), or more than `max_values` values (its span-carrying
/// reading of a hundred thousand values takes seconds, and such a file is
/// refused anyway: [`crate::plan::bounds::MAX_VALUES`]). Read from the
/// parser's events without building anything; `None` for a file within
/// both limits or one the parser rejects (its own error is the better
/// message).
pub fn refused(src: &str, max_values: usize) -> Option<(Loc, String)> {
    let mut depth = 0usize;
    let mut values = 0usize;
    for event in Parser::new_from_str(src) {
        let (event, span) = event.ok()?;
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                values += 1;
                if depth > MAX_DEPTH {
                    let why = format!("lists and mappings nested more than {MAX_DEPTH} deep");
                    return Some((loc(&span), why));
                }
            }
            Event::Scalar(..) | Event::Alias(..) => values += 1,
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            Event::StreamEnd => break,
            _ => {}
        }
        if values > max_values {
            let why =
                format!("the file holds more than {max_values} values (keys, texts, list items)");
            return Some((loc(&span), why));
        }
    }
    None
}

/// serde-saphyr's default budget of comments buffered in a row (the
/// parser's own default is 96).
const MAX_BUFFERED_COMMENTS: usize = 32;

/// The parser settings serde-saphyr 2.2 uses with its default budget, so the
/// same files are accepted, but for comments.
///
/// Comment events cost the parser a sixth of its time and the tree has no use
/// for them. Their only effect on what is accepted: serde-saphyr rejects
/// more than [`MAX_BUFFERED_COMMENTS`] comments buffered in a row (after a
/// `key:` before its value, say). Every comment starts with `#`, so a file
/// with fewer `#` than that cannot hit it and is parsed without them.
fn parser_options(src: &str) -> granit_parser::Options {
    let hashes = src.bytes().filter(|&b| b == b'#').count();
    granit_parser::options! {
        emit_comments: hashes >= MAX_BUFFERED_COMMENTS,
        max_buffered_comment_events: MAX_BUFFERED_COMMENTS,
    }
}

/// A collection still open.
enum Open {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        /// What serde-saphyr might compare keys by, hashed; any repeat
        /// sends the file to it.
        keys: Vec<u64>,
    },
}

/// How big a node is, to keep copies within serde-saphyr's budget.
#[derive(Clone, Copy, Default)]
struct Size {
    nodes: usize,
    bytes: usize,
    /// Levels of collections, the node's own included.
    height: usize,
}

struct Frame {
    open: Open,
    loc: Loc,
    anchor: usize,
    /// The children so far.
    size: Size,
}

/// An anchored node, ready to be copied by its aliases.
struct Anchored {
    node: Node,
    size: Size,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// By the parser's anchor id; `None` while the anchored collection is open.
    anchors: Vec<Option<Anchored>>,
    root: Option<Node>,
    documents: usize,
    nodes: usize,
    bytes: usize,
    aliases: usize,
    anchor_count: usize,
}

impl Builder {
    /// Takes one event: `None` to give up, `Break` at the end of the stream.
    fn event(&mut self, event: Event<'_>, span: Span) -> Option<ControlFlow<()>> {
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Comment(..) => {}
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return None;
                }
            }
            Event::StreamEnd => return Some(ControlFlow::Break(())),
            Event::Scalar(text, style, anchor, tag) => {
                if tag.is_some() {
                    return None;
                }
                if self.at_key() {
                    self.note_key(&text, style)?;
                }
                let value = scalar::resolve(&text, style)?;
                let size = Size {
                    nodes: 1,
                    bytes: text.len(),
                    height: 0,
                };
                self.count(size)?;
                let node = Node {
                    value,
                    loc: loc(&span),
                };
                self.close(node, anchor, size)?;
            }
            Event::SequenceStart(_, anchor, tag) => {
                self.open(Open::Seq(Vec::new()), &span, anchor, tag.is_some())?;
            }
            Event::MappingStart(_, anchor, tag) => {
                let open = Open::Map {
                    entries: Vec::new(),
                    key: None,
                    keys: Vec::new(),
                };
                self.open(open, &span, anchor, tag.is_some())?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.stack.pop()?;
                let value = match frame.open {
                    Open::Seq(items) => Value::Seq(items),
                    Open::Map {
                        entries,
                        key: None,
                        mut keys,
                    } => {
                        keys.sort_unstable();
                        if keys.windows(2).any(|w| w[0] == w[1]) {
                            return None;
                        }
                        Value::Map(entries)
                    }
                    Open::Map { key: Some(_), .. } => return None,
                };
                let size = Size {
                    nodes: frame.size.nodes + 1,
                    bytes: frame.size.bytes,
                    height: frame.size.height + 1,
                };
                self.count(Size {
                    nodes: 1,
                    ..Size::default()
                })?;
                let node = Node {
                    value,
                    loc: frame.loc,
                };
                self.close(node, frame.anchor, size)?;
            }
            Event::Alias(id) => {
                // serde-saphyr fingerprints an aliased key from its events.
                if self.at_key() {
                    return None;
                }
                self.aliases += 1;
                if self.aliases > MAX_ALIASES {
                    return None;
                }
                // Missing: an alias to a collection still open (recursive),
                // which serde-saphyr rejects.
                let size = self.anchors.get(id)?.as_ref()?.size;
                // Counted before copying: the cap against alias bombs.
                self.count(size)?;
                let anchored = self.anchors.get(id)?.as_ref()?;
                let mut node = anchored.node.clone();
                relocate(&mut node, loc(&span));
                self.close(node, 0, size)?;
            }
            _ => return None,
        }
        Some(ControlFlow::Continue(()))
    }

    fn open(&mut self, open: Open, span: &Span, anchor: usize, tagged: bool) -> Option<()> {
        if tagged || self.stack.len() >= MAX_DEPTH {
            return None;
        }
        if self.at_key() {
            // A list or mapping as a key: serde-saphyr compares those deeply.
            return None;
        }
        self.stack.push(Frame {
            open,
            loc: loc(span),
            anchor,
            size: Size::default(),
        });
        Some(())
    }

    fn at_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                open: Open::Map { key: None, .. },
                ..
            })
        )
    }

    /// Remembers a scalar key by its text and, when plain, by the integer
    /// it spells (serde-saphyr finds `0xB` and `11` to be the same key).
    fn note_key(&mut self, text: &str, style: ScalarStyle) -> Option<()> {
        if text == "<<" {
            return None; // a merge key: serde-saphyr expands it
        }
        let Some(Frame {
            open: Open::Map { keys, .. },
            ..
        }) = self.stack.last_mut()
        else {
            return None;
        };
        keys.push(hash(&(0u8, text)));
        if style == ScalarStyle::Plain
            && let Some(integer) = scalar::key_integer(text)
        {
            keys.push(hash(&(1u8, integer)));
        }
        Some(())
    }

    fn count(&mut self, size: Size) -> Option<()> {
        self.nodes += size.nodes;
        self.bytes += size.bytes;
        (self.nodes <= MAX_NODES && self.bytes <= MAX_SCALAR_BYTES).then_some(())
    }

    /// Stores a finished node under its anchor and hands it to its parent.
    fn close(&mut self, node: Node, anchor: usize, size: Size) -> Option<()> {
        if self.stack.len() + size.height > MAX_DEPTH {
            return None;
        }
        if anchor != 0 {
            self.anchor_count += 1;
            if self.anchor_count > MAX_ANCHORS {
                return None;
            }
            if self.anchors.len() <= anchor {
                self.anchors.resize_with(anchor + 1, || None);
            }
            self.anchors[anchor] = Some(Anchored {
                node: node.clone(),
                size,
            });
        }
        let Some(parent) = self.stack.last_mut() else {
            if self.root.is_some() {
                return None;
            }
            self.root = Some(node);
            return Some(());
        };
        parent.size.nodes += size.nodes;
        parent.size.bytes += size.bytes;
        parent.size.height = parent.size.height.max(size.height);
        match &mut parent.open {
            Open::Seq(items) => items.push(node),
            Open::Map { entries, key, .. } => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
        Some(())
    }
}

/// Where a node is, as serde-saphyr's `Location` has it: the event's start
/// (1-based line and column in characters) and its byte range.
fn loc(span: &Span) -> Loc {
    let bytes = match (span.start.byte_offset(), span.end.byte_offset()) {
        (Some(start), Some(end)) => Some((start, end.saturating_sub(start))),
        _ => None,
    };
    Loc {
        line: span.start.line(),
        column: span.start.col() + 1,
        bytes,
    }
}

/// An alias's copy sits where the alias is written, all the way down (as
/// serde-saphyr reports nodes replayed from an anchor).
fn relocate(node: &mut Node, at: Loc) {
    node.loc = at;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| relocate(n, at)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            relocate(k, at);
            relocate(v, at);
        }),
        _ => {}
    }
}

fn hash<T: Hash>(value: &T) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}
