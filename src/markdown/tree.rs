//! What the HTML parser behind the sanitiser will really build from a rendered body, measured
//! by running that parser (html5ever, as ammonia runs it) over a tree of our own that keeps
//! only the elements' places and counts as it grows, and stopped as soon as a limit is passed.
//!
//! An estimate from the tags is not enough: the parser copies every formatting element (`<b>`,
//! `<i>`, `<a>`, `<font>`...) that a block closed into each later block (its list of active
//! formatting elements), so `<p><b title=1></p>` repeated 3,168 times, 65 KB, becomes five
//! million elements nested 3,168 deep. The parser itself is the only exact account of that.
//! The input is fed in small chunks, so a body that passes a limit is given up within a few
//! tags of passing it, and the work before that is bounded by the limits.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Instant;

use html5ever::interface::{
    Attribute, ElementFlags, ExpandedName, NodeOrText, QualName, QuirksMode, TreeSink,
};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{ParseOpts, local_name, ns, parse_fragment};

/// A limit the parsed tree passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exceeded {
    /// Elements nest deeper than allowed.
    Depth,
    /// More elements than allowed, copies made by the parser included.
    Elements,
    /// More HTML than allowed: tags, attributes and text.
    Bytes,
    /// The deadline passed.
    Time,
}

/// What the tree may hold.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub depth: usize,
    pub elements: usize,
    pub bytes: usize,
    pub deadline: Instant,
}

/// What the parser built, once it finished within the limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measure {
    /// The deepest element (1 for an element at the top level).
    pub depth: usize,
    pub elements: usize,
    /// About what the tree would serialise to: tags, attributes and text.
    pub bytes: usize,
}

/// Bytes fed to the parser at a time, cut at a character boundary: a chunk holds at most a
/// dozen tags, so a limit is noticed within a dozen tags of being passed.
const CHUNK: usize = 48;

/// Parses `html` as the sanitiser will (a fragment inside a `<div>`) and measures the tree, or
/// says which limit it passed first.
pub fn measure(html: &str, limits: Limits) -> Result<Measure, Exceeded> {
    let mut parser = parse_fragment(
        Budget::new(limits),
        ParseOpts::default(),
        QualName::new(None, ns!(html), local_name!("div")),
        Vec::new(),
        false,
    );
    let mut from = 0;
    while from < html.len() {
        let mut to = (from + CHUNK).min(html.len());
        while !html.is_char_boundary(to) {
            to += 1;
        }
        parser.process(StrTendril::from_slice(&html[from..to]));
        from = to;
        if let Some(exceeded) = parser.tokenizer.sink.sink.exceeded.get() {
            return Err(exceeded);
        }
        if Instant::now() > limits.deadline {
            return Err(Exceeded::Time);
        }
    }
    let sink = parser.finish();
    match sink.exceeded.get() {
        Some(exceeded) => Err(exceeded),
        None => Ok(sink.measure.get()),
    }
}

/// A node of the counted tree: elements with their place in it, and nothing of what they hold
/// (text, attributes and comments are only counted). The document and each template's
/// contents are nodes without a name; a template's contents hang under their template, so
/// depth counts through them.
struct Node {
    name: Option<QualName>,
    parent: RefCell<Weak<Node>>,
    children: RefCell<Vec<Handle>>,
    template: Option<Handle>,
    integration_point: bool,
}

type Handle = Rc<Node>;

impl Node {
    fn other(parent: Weak<Node>) -> Handle {
        Rc::new(Self {
            name: None,
            parent: RefCell::new(parent),
            children: RefCell::new(Vec::new()),
            template: None,
            integration_point: false,
        })
    }

    fn parent(&self) -> Option<Handle> {
        self.parent.borrow().upgrade()
    }
}

impl Drop for Node {
    /// Without a recursion as deep as the tree.
    fn drop(&mut self) {
        let mut nodes = std::mem::take(&mut *self.children.borrow_mut());
        while let Some(node) = nodes.pop() {
            nodes.append(&mut node.children.borrow_mut());
        }
    }
}

/// The tree the parser builds, counted as it grows.
struct Budget {
    document: Handle,
    /// The name given for anything that is not an element (the parser never asks).
    nameless: QualName,
    limits: Limits,
    measure: Cell<Measure>,
    exceeded: Cell<Option<Exceeded>>,
}

impl Budget {
    fn new(limits: Limits) -> Self {
        Self {
            document: Node::other(Weak::new()),
            nameless: QualName::new(None, ns!(), local_name!("")),
            limits,
            measure: Cell::new(Measure::default()),
            exceeded: Cell::new(None),
        }
    }

    fn exceed(&self, what: Exceeded) {
        if self.exceeded.get().is_none() {
            self.exceeded.set(Some(what));
        }
    }

    fn add_bytes(&self, bytes: usize) {
        let mut measure = self.measure.get();
        measure.bytes = measure.bytes.saturating_add(bytes);
        self.measure.set(measure);
        if measure.bytes > self.limits.bytes {
            self.exceed(Exceeded::Bytes);
        }
    }

    /// How many elements `node` and its ancestors are, the fragment's own root (`<html>`)
    /// left out, counting no further than just past the depth limit: the depth at which a
    /// child of `node` sits.
    fn depth_below(&self, node: &Handle) -> usize {
        let mut depth = 0;
        let mut at = Some(node.clone());
        while let Some(node) = at {
            if node.name.is_some() {
                depth += 1;
                if depth > self.limits.depth + 1 {
                    break;
                }
            }
            at = node.parent();
        }
        depth.saturating_sub(1)
    }

    /// Puts `child` under `parent` (text is only counted), measuring its depth.
    fn place(&self, parent: &Handle, child: NodeOrText<Handle>) {
        match child {
            NodeOrText::AppendText(text) => self.add_bytes(text.len()),
            NodeOrText::AppendNode(node) => {
                if node.name.is_some() && self.exceeded.get().is_none() {
                    let depth = self.depth_below(parent) + 1;
                    let mut measure = self.measure.get();
                    measure.depth = measure.depth.max(depth);
                    self.measure.set(measure);
                    if depth > self.limits.depth {
                        self.exceed(Exceeded::Depth);
                    }
                }
                self.remove_from_parent(&node);
                *node.parent.borrow_mut() = Rc::downgrade(parent);
                parent.children.borrow_mut().push(node);
            }
        }
    }
}

fn attribute_bytes(attrs: &[Attribute]) -> usize {
    attrs
        .iter()
        .map(|a| a.name.local.len() + a.value.len() + 4)
        .sum()
}

impl TreeSink for Budget {
    type Handle = Handle;
    type Output = Self;
    type ElemName<'a> = ExpandedName<'a>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        self.document.clone()
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> ExpandedName<'a> {
        target.name.as_ref().unwrap_or(&self.nameless).expanded()
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        let mut measure = self.measure.get();
        measure.elements += 1;
        self.measure.set(measure);
        if measure.elements > self.limits.elements {
            self.exceed(Exceeded::Elements);
        }
        // `<name a="v">` and `</name>`.
        self.add_bytes(2 * name.local.len() + 5 + attribute_bytes(&attrs));
        Rc::new_cyclic(|me| Node {
            name: Some(name),
            parent: RefCell::new(Weak::new()),
            children: RefCell::new(Vec::new()),
            template: flags.template.then(|| Node::other(me.clone())),
            integration_point: flags.mathml_annotation_xml_integration_point,
        })
    }

    fn create_comment(&self, text: StrTendril) -> Handle {
        self.add_bytes(text.len() + 7);
        Node::other(Weak::new())
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        Node::other(Weak::new())
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        self.place(parent, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        match element.parent() {
            Some(parent) => self.place(&parent, child),
            None => self.place(prev_element, child),
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &Handle) -> Handle {
        target.template.clone().unwrap_or_else(|| target.clone())
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        Rc::ptr_eq(x, y)
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    /// Where among its siblings a node goes makes no difference to depth or counts.
    fn append_before_sibling(&self, sibling: &Handle, child: NodeOrText<Handle>) {
        if let Some(parent) = sibling.parent() {
            self.place(&parent, child);
        }
    }

    fn add_attrs_if_missing(&self, _target: &Handle, attrs: Vec<Attribute>) {
        self.add_bytes(attribute_bytes(&attrs));
    }

    fn remove_from_parent(&self, target: &Handle) {
        let parent = std::mem::take(&mut *target.parent.borrow_mut());
        if let Some(parent) = parent.upgrade() {
            parent
                .children
                .borrow_mut()
                .retain(|child| !Rc::ptr_eq(child, target));
        }
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let children = std::mem::take(&mut *node.children.borrow_mut());
        for child in &children {
            *child.parent.borrow_mut() = Rc::downgrade(new_parent);
        }
        new_parent.children.borrow_mut().extend(children);
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        handle.integration_point
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(depth: usize) -> Limits {
        Limits {
            depth,
            elements: 100_000,
            bytes: 1 << 20,
            deadline: Instant::now() + Duration::from_secs(10),
        }
    }

    #[test]
    fn depth_counts_what_the_parser_nests() {
        let m = |html: String| measure(&html, limits(10));
        assert_eq!(m("<p>a</p>".into()).map(|m| m.depth), Ok(1));
        // `<ul>` closes the paragraph; the second item closes the first.
        assert_eq!(
            m("<div><p>a<ul><li>b<li>c</ul></div>".into()).map(|m| m.depth),
            Ok(3)
        );
        // Implied end tags close what they close: twelve items and paragraphs are flat.
        assert_eq!(m("<li>a".repeat(12)).map(|m| m.depth), Ok(1));
        assert_eq!(m("<p>a".repeat(12)).map(|m| m.depth), Ok(1));
        assert_eq!(m("<div>".repeat(11)), Err(Exceeded::Depth));
        // Formatting elements a paragraph closed are copied into the next one, nested: each
        // paragraph holds the copies of every earlier `<b>` and its own.
        let distinct = |n: usize| {
            (0..n)
                .map(|i| format!("<p><b title={i}></p>"))
                .collect::<String>()
        };
        assert_eq!(m(distinct(4)).map(|m| m.depth), Ok(5));
        assert_eq!(m(distinct(12)), Err(Exceeded::Depth));
        // Identical ones are kept three at a time (the parser's "Noah's Ark" rule).
        assert_eq!(m("<p><b title=x></p>".repeat(12)).map(|m| m.depth), Ok(5));
        // Inside a template too.
        assert_eq!(
            m(format!("<template>{}</template>", "<div>".repeat(10))),
            Err(Exceeded::Depth)
        );
    }

    #[test]
    fn copies_count_as_elements_and_bytes() {
        // Eleven `<b>`s left open by a paragraph, then each `<p>x` copies all of them.
        let open = (0..11)
            .map(|i| format!("<b title={i}>"))
            .collect::<String>();
        let html = format!("<p>{open}</p>{}", "<p>x</p>".repeat(100));
        let measured = measure(&html, limits(20)).expect("within the limits");
        assert!(measured.elements > 1_100, "{measured:?}");
        let tight = Limits {
            elements: 500,
            ..limits(20)
        };
        assert_eq!(measure(&html, tight), Err(Exceeded::Elements));
        let long = format!(
            "<p><b title={}></p>{}",
            "a".repeat(1000),
            "<p>x</p>".repeat(100)
        );
        let small = Limits {
            bytes: 50_000,
            ..limits(20)
        };
        assert_eq!(measure(&long, small), Err(Exceeded::Bytes));
    }

    #[test]
    fn a_passed_deadline_stops_the_parse() {
        let past = Limits {
            deadline: Instant::now(),
            ..limits(100)
        };
        assert_eq!(measure(&"<p>a</p>".repeat(100), past), Err(Exceeded::Time));
    }
}
