//! Compiling a validated document into a plan: the operation's variables, and for every
//! selection the fields to write in order, each with its arguments and, below an object, the
//! plan of its own selection for each object type it can be.
//!
//! The fields are collected the way the spec's CollectFields does it (fragments whose type
//! condition applies, `@skip` and `@include` with literal conditions, fields of one response
//! key merged in the order they first appear), which is the order async-graphql writes them in.
//! Anything a plan does not handle (introspection, a condition held in a variable, a directive
//! it does not know, a mutation) is refused here, and the request takes the general executor.

use std::collections::HashSet;

use async_graphql::Name;
use async_graphql::Positioned;
use async_graphql::Value as ConstValue;
use async_graphql::parser::types::{
    BaseType, Directive, ExecutableDocument, Field as DocField, OperationType, Selection,
    SelectionSet, Type,
};
use async_graphql_value::Value as InputValue;

use super::catalog::{CATALOG, Catalog, base_name, fits};
use super::fid::Fid;

/// Why a document has no plan. Not an error: the general executor answers it.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsupported(pub &'static str);

/// One operation of a document, ready to run against any graph.
pub struct Plan {
    pub(super) vars: Vec<VarDef>,
    pub(super) root: Vec<Field>,
}

pub(super) struct VarDef {
    pub name: Name,
    pub ty: Type,
    pub default: Option<ConstValue>,
}

/// One field to write: its response key (already JSON, with the colon), what it is, its
/// arguments, and what to write of its value.
pub(super) struct Field {
    pub key: Box<[u8]>,
    pub fid: Fid,
    pub args: Vec<(Name, Arg)>,
    pub sub: Sub,
}

/// Where an argument's value comes from.
pub(super) enum Arg {
    /// A literal.
    Const(ConstValue),
    /// Exactly one variable (its index in the plan's variables).
    Var(usize),
    /// A literal list or object with variables inside.
    Mixed(InputValue),
}

/// What to write of a field's value.
pub(super) enum Sub {
    /// A leaf: the value itself.
    Leaf,
    /// An object or interface: for each object type the value can be, the fields to write;
    /// none means the object is written as null, as async-graphql writes it.
    Objects(Vec<(Box<str>, Vec<Field>)>),
}

impl Sub {
    pub fn fields_for(&self, object: &str) -> Option<&[Field]> {
        match self {
            Sub::Leaf => None,
            Sub::Objects(by_type) => by_type
                .iter()
                .find(|(t, _)| &**t == object)
                .map(|(_, f)| f.as_slice()),
        }
    }
}

/// The guard's limits bound documents, so a plan is small; this bounds the compiler's own
/// recursion in case a caller hands it something that skipped the guard.
const MAX_DEPTH: usize = 64;

struct Compiler<'d> {
    doc: &'d ExecutableDocument,
    catalog: &'d Catalog,
    vars: &'d [VarDef],
}

impl Plan {
    /// Compiles the operation `operation_name` picks. The document must already have been
    /// validated against our schema: the compiler trusts it to name only fields that exist
    /// with arguments of the right types (but not to merge only fields that may be merged,
    /// which async-graphql checks only in part).
    pub fn compile(
        doc: &ExecutableDocument,
        operation_name: Option<&str>,
    ) -> Result<Plan, Unsupported> {
        let op = match operation_name {
            Some(name) => doc
                .operations
                .iter()
                .find(|(n, _)| n.map(|n| n.as_str()) == Some(name))
                .map(|(_, op)| op),
            None => {
                let mut ops = doc.operations.iter();
                match (ops.next(), ops.next()) {
                    (Some((_, op)), None) => Some(op),
                    _ => None,
                }
            }
        }
        .ok_or(Unsupported("no single operation to run"))?;
        let op = &op.node;
        if op.ty != OperationType::Query {
            return Err(Unsupported("only queries have plans"));
        }
        if !op.directives.is_empty() {
            return Err(Unsupported("directives on the operation"));
        }
        let vars: Vec<VarDef> = op
            .variable_definitions
            .iter()
            .map(|v| {
                if !v.node.directives.is_empty() {
                    return Err(Unsupported("directives on a variable"));
                }
                Ok(VarDef {
                    name: v.node.name.node.clone(),
                    ty: v.node.var_type.node.clone(),
                    default: v.node.default_value.as_ref().map(|d| d.node.clone()),
                })
            })
            .collect::<Result<_, _>>()?;
        let compiler = Compiler {
            doc,
            catalog: &CATALOG,
            vars: &vars,
        };
        compiler.variables_fit_everywhere(&op.selection_set.node)?;
        let root = compiler.fields("Query", &[&op.selection_set.node], 0)?;
        Ok(Plan { vars, root })
    }
}

impl<'d> Compiler<'d> {
    /// The fields to write for an object of type `object` selected by `sets`.
    fn fields(
        &self,
        object: &str,
        sets: &[&'d SelectionSet],
        depth: usize,
    ) -> Result<Vec<Field>, Unsupported> {
        if depth > MAX_DEPTH {
            return Err(Unsupported("too deep"));
        }
        let mut groups: Vec<(&'d Name, Vec<&'d DocField>)> = Vec::new();
        let mut visited = HashSet::new();
        for set in sets {
            self.collect(object, set, &mut groups, &mut visited)?;
        }
        groups
            .into_iter()
            .map(|(key, fields)| self.field(object, key, &fields, depth))
            .collect()
    }

    /// CollectFields: the fields of `set` that apply to `object`, grouped by response key.
    fn collect(
        &self,
        object: &str,
        set: &'d SelectionSet,
        groups: &mut Vec<(&'d Name, Vec<&'d DocField>)>,
        visited: &mut HashSet<&'d str>,
    ) -> Result<(), Unsupported> {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    if !self.included(&f.node.directives)? {
                        continue;
                    }
                    let key = &f.node.alias.as_ref().unwrap_or(&f.node.name).node;
                    match groups.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, fields)) => fields.push(&f.node),
                        None => groups.push((key, vec![&f.node])),
                    }
                }
                Selection::FragmentSpread(s) => {
                    if !self.included(&s.node.directives)? {
                        continue;
                    }
                    let name = s.node.fragment_name.node.as_str();
                    if !visited.insert(name) {
                        continue;
                    }
                    let fragment = self
                        .doc
                        .fragments
                        .get(name)
                        .ok_or(Unsupported("an unknown fragment"))?;
                    if !fragment.node.directives.is_empty() {
                        return Err(Unsupported("directives on a fragment definition"));
                    }
                    let on = fragment.node.type_condition.node.on.node.as_str();
                    if self.catalog.applies(on, object) {
                        self.collect(object, &fragment.node.selection_set.node, groups, visited)?;
                    }
                }
                Selection::InlineFragment(i) => {
                    if !self.included(&i.node.directives)? {
                        continue;
                    }
                    let applies = i
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.catalog.applies(c.node.on.node.as_str(), object));
                    if applies {
                        self.collect(object, &i.node.selection_set.node, groups, visited)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The fields to write for an object of type `object` that the fields of one response
    /// key select with `sets`. async-graphql resolves each of those fields on its own and
    /// merges the later answers into the first, those of each selection among themselves
    /// first. A field that selects nothing answers null, and a null swallows what is merged
    /// into it, though the errors of the fields it swallows still count. Merged selections can
    /// say that only where the fields selecting nothing come last; when all of them do, the
    /// object is null (no fields).
    fn merged(
        &self,
        object: &str,
        sets: &[&'d SelectionSet],
        depth: usize,
    ) -> Result<Vec<Field>, Unsupported> {
        let empty = sets
            .iter()
            .map(|set| self.selects_nothing(object, set))
            .collect::<Result<Vec<_>, _>>()?;
        match empty.iter().position(|e| *e) {
            Some(i) if empty[i..].iter().any(|e| !e) => Err(Unsupported(
                "a field selecting nothing merged before another",
            )),
            Some(0) => Ok(Vec::new()),
            _ => self.fields(object, sets, depth),
        }
    }

    /// Whether `set` selects no field of an object of type `object` (every field skipped, or
    /// no fragment applying to the type).
    fn selects_nothing(&self, object: &str, set: &'d SelectionSet) -> Result<bool, Unsupported> {
        let mut groups = Vec::new();
        self.collect(object, set, &mut groups, &mut HashSet::new())?;
        Ok(groups.is_empty())
    }

    /// Whether `@skip`/`@include` keep a selection. Conditions in variables are refused, so
    /// that one plan serves every request of its document.
    fn included(&self, directives: &[Positioned<Directive>]) -> Result<bool, Unsupported> {
        let mut keep = true;
        for d in directives {
            let name = d.node.name.node.as_str();
            if name != "skip" && name != "include" {
                return Err(Unsupported("a directive other than @skip and @include"));
            }
            let condition = match d.node.get_argument("if").map(|v| &v.node) {
                Some(InputValue::Boolean(b)) => *b,
                _ => return Err(Unsupported("a condition that is not a literal")),
            };
            keep &= if name == "skip" {
                !condition
            } else {
                condition
            };
        }
        Ok(keep)
    }

    /// One response key: the first field of the group decides what it is, the others being
    /// the same field with the same arguments; their selections are merged.
    fn field(
        &self,
        object: &str,
        key: &Name,
        fields: &[&'d DocField],
        depth: usize,
    ) -> Result<Field, Unsupported> {
        let first = fields[0];
        // async-graphql's validation compares the fields of a response key only within one
        // selection set and type condition, so a document may give one key two fields or
        // two sets of arguments (`cast(first: 2)` beside `... on Film { cast(first: 1) }`).
        // It then resolves each on its own and merges the answers, which a plan of one
        // field cannot do.
        if fields
            .iter()
            .any(|f| f.name.node != first.name.node || !same_arguments(first, f))
        {
            return Err(Unsupported("fields of one response key that differ"));
        }
        let name = first.name.node.as_str();
        let key = serde_json::to_vec(key.as_str())
            .map(|mut k| {
                k.push(b':');
                k.into_boxed_slice()
            })
            .map_err(|_| Unsupported("a key that is not JSON"))?;
        if name == "__typename" {
            return Ok(Field {
                key,
                fid: Fid::Typename,
                args: Vec::new(),
                sub: Sub::Leaf,
            });
        }
        let fid = Fid::from_name(name).ok_or(Unsupported("a field plans do not know"))?;
        let ty = self
            .catalog
            .field(object, name)
            .ok_or(Unsupported("a field the schema does not have"))?;
        let args = first
            .arguments
            .iter()
            .map(|(n, v)| Ok((n.node.clone(), self.arg(&v.node)?)))
            .collect::<Result<_, _>>()?;
        let sub = match self.catalog.objects(base_name(ty)) {
            None => Sub::Leaf,
            Some(objects) => {
                let sets: Vec<&'d SelectionSet> =
                    fields.iter().map(|f| &f.selection_set.node).collect();
                Sub::Objects(
                    objects
                        .into_iter()
                        .map(|o| Ok((o.into(), self.merged(o, &sets, depth + 1)?)))
                        .collect::<Result<_, _>>()?,
                )
            }
        };
        Ok(Field {
            key,
            fid,
            args,
            sub,
        })
    }

    /// Refuses the document if a variable does not fit an argument it is used in, anywhere in
    /// the operation or its fragments, resolved or skipped: async-graphql checks the value
    /// given for a variable against every argument it is used in.
    fn variables_fit_everywhere(&self, operation: &'d SelectionSet) -> Result<(), Unsupported> {
        self.arguments_fit("Query", operation, 0)?;
        for fragment in self.doc.fragments.values() {
            let on = fragment.node.type_condition.node.on.node.as_str();
            self.arguments_fit(on, &fragment.node.selection_set.node, 0)?;
        }
        Ok(())
    }

    /// [`Self::variables_fit_everywhere`] for `set` on `ty`, fragment spreads left to the
    /// fragments' own definitions.
    fn arguments_fit(&self, ty: &str, set: &SelectionSet, depth: usize) -> Result<(), Unsupported> {
        if depth > MAX_DEPTH {
            return Err(Unsupported("too deep"));
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    if name == "__typename" {
                        continue;
                    }
                    let field_ty = self
                        .catalog
                        .field(ty, name)
                        .ok_or(Unsupported("a field the schema does not have"))?;
                    for (arg, value) in &f.node.arguments {
                        let location = self
                            .catalog
                            .argument(ty, name, arg.node.as_str())
                            .ok_or(Unsupported("an argument the schema does not have"))?;
                        self.variables_fit(&value.node, location)?;
                    }
                    self.arguments_fit(base_name(field_ty), &f.node.selection_set.node, depth + 1)?;
                }
                Selection::InlineFragment(i) => {
                    let on = i
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(ty, |c| c.node.on.node.as_str());
                    self.arguments_fit(on, &i.node.selection_set.node, depth + 1)?;
                }
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    /// Refuses a variable in `value` whose type does not fit where it is used (see
    /// [`fits`]), `value` going where a value of type `location` goes.
    fn variables_fit(&self, value: &InputValue, location: &Type) -> Result<(), Unsupported> {
        match (value, &location.base) {
            (InputValue::Variable(name), _) => match self.vars.iter().find(|v| v.name == *name) {
                Some(var) if fits(&var.ty, location) => Ok(()),
                Some(_) => Err(Unsupported(
                    "a variable whose type does not fit where it is used",
                )),
                None => Err(Unsupported("an undefined variable")),
            },
            (InputValue::List(items), BaseType::List(item)) => {
                items.iter().try_for_each(|v| self.variables_fit(v, item))
            }
            // A single value stands for a list of one.
            (_, BaseType::List(item)) => self.variables_fit(value, item),
            (InputValue::Object(fields), BaseType::Named(input)) => {
                fields.iter().try_for_each(|(k, v)| {
                    let ty = self
                        .catalog
                        .input_field(input, k.as_str())
                        .ok_or(Unsupported("an input field the schema does not have"))?;
                    self.variables_fit(v, ty)
                })
            }
            (InputValue::List(_), BaseType::Named(_)) => {
                Err(Unsupported("a list where the schema has none"))
            }
            _ => Ok(()),
        }
    }

    fn arg(&self, value: &InputValue) -> Result<Arg, Unsupported> {
        if let InputValue::Variable(name) = value {
            let i = self
                .vars
                .iter()
                .position(|v| v.name == *name)
                .ok_or(Unsupported("an undefined variable"))?;
            return Ok(Arg::Var(i));
        }
        match value.clone().into_const() {
            Some(c) => Ok(Arg::Const(c)),
            None => Ok(Arg::Mixed(value.clone())),
        }
    }
}

/// Whether two fields have the same arguments with the same values, in any order.
fn same_arguments(a: &DocField, b: &DocField) -> bool {
    a.arguments.len() == b.arguments.len()
        && a.arguments
            .iter()
            .all(|(n, v)| b.get_argument(&n.node).is_some_and(|w| w.node == v.node))
}
