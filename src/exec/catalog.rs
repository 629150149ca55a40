//! What the plan compiler knows of the schema: each object's fields and their types, which
//! objects an interface stands for, and the input types a variable may carry. All of it is
//! read from the committed SDL (`schema.graphql`), which a test keeps identical to what
//! async-graphql prints for our schema, so it cannot disagree with the schema the server
//! validates against, and the plans need nothing of the async-graphql types.

use std::collections::{HashMap, HashSet};

use async_graphql::Value;
use async_graphql::parser::types::{
    BaseType, InterfaceType, ObjectType, Type, TypeKind, TypeSystemDefinition,
};
use std::sync::LazyLock;

/// A named type of the schema, as far as plans need it.
pub enum Named {
    Object {
        fields: HashMap<String, Type>,
        implements: Vec<String>,
    },
    Interface {
        fields: HashMap<String, Type>,
        /// The objects that implement it, in the SDL's order.
        objects: Vec<String>,
    },
    Enum(HashSet<String>),
    Input(Vec<InputField>),
    Scalar,
}

pub struct InputField {
    pub name: String,
    pub ty: Type,
    pub has_default: bool,
}

pub struct Catalog {
    pub(super) types: HashMap<String, Named>,
    /// The arguments of each field of each object and interface, with their types.
    arguments: HashMap<String, HashMap<String, HashMap<String, Type>>>,
    /// The arguments that have a default value, as `(type, field, argument)`.
    defaults: HashSet<(String, String, String)>,
}

/// The catalog of our schema, read once.
/// Read from the committed `schema.graphql`, which `tests/schema_sdl.rs` keeps identical to the
/// schema async-graphql serves: the plans need its types, not the code that makes them.
pub static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::from_sdl(include_str!("../../schema.graphql")));

impl Catalog {
    /// Reads the catalog from SDL. The SDL is the one the schema prints, so a parse failure
    /// is a bug in async-graphql's printer, and the catalog comes out empty: every plan is
    /// then refused and every request takes the general executor.
    pub fn from_sdl(sdl: &str) -> Catalog {
        let mut types = HashMap::new();
        for name in ["String", "Int", "Float", "Boolean", "ID"] {
            types.insert(name.to_owned(), Named::Scalar);
        }
        let mut arguments = HashMap::new();
        let mut defaults = HashSet::new();
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            return Catalog {
                types,
                arguments,
                defaults,
            };
        };
        let mut implementers: HashMap<String, Vec<String>> = HashMap::new();
        for def in &doc.definitions {
            let TypeSystemDefinition::Type(t) = def else {
                continue;
            };
            let t = &t.node;
            let name = t.name.node.to_string();
            let fields_of = |fields: &[async_graphql::Positioned<
                async_graphql::parser::types::FieldDefinition,
            >]| {
                fields
                    .iter()
                    .map(|f| (f.node.name.node.to_string(), f.node.ty.node.clone()))
                    .collect()
            };
            if let TypeKind::Object(ObjectType { fields, .. })
            | TypeKind::Interface(InterfaceType { fields, .. }) = &t.kind
            {
                for f in fields {
                    for a in f
                        .node
                        .arguments
                        .iter()
                        .filter(|a| a.node.default_value.is_some())
                    {
                        defaults.insert((
                            name.clone(),
                            f.node.name.node.to_string(),
                            a.node.name.node.to_string(),
                        ));
                    }
                }
                let by_field = fields
                    .iter()
                    .map(|f| {
                        let args = f
                            .node
                            .arguments
                            .iter()
                            .map(|a| (a.node.name.node.to_string(), a.node.ty.node.clone()));
                        (f.node.name.node.to_string(), args.collect())
                    })
                    .collect();
                arguments.insert(name.clone(), by_field);
            }
            let named = match &t.kind {
                TypeKind::Object(o) => {
                    let implements: Vec<String> =
                        o.implements.iter().map(|i| i.node.to_string()).collect();
                    for i in &implements {
                        implementers
                            .entry(i.clone())
                            .or_default()
                            .push(name.clone());
                    }
                    Named::Object {
                        fields: fields_of(&o.fields),
                        implements,
                    }
                }
                TypeKind::Interface(i) => Named::Interface {
                    fields: fields_of(&i.fields),
                    objects: Vec::new(),
                },
                TypeKind::Enum(e) => Named::Enum(
                    e.values
                        .iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect(),
                ),
                TypeKind::InputObject(i) => Named::Input(
                    i.fields
                        .iter()
                        .map(|f| InputField {
                            name: f.node.name.node.to_string(),
                            ty: f.node.ty.node.clone(),
                            has_default: f.node.default_value.is_some(),
                        })
                        .collect(),
                ),
                TypeKind::Scalar | TypeKind::Union(_) => Named::Scalar,
            };
            types.insert(name, named);
        }
        for (interface, objects) in implementers {
            if let Some(Named::Interface { objects: o, .. }) = types.get_mut(&interface) {
                *o = objects;
            }
        }
        Catalog {
            types,
            arguments,
            defaults,
        }
    }

    /// The type of `field` on the object or interface `ty`.
    pub fn field(&self, ty: &str, field: &str) -> Option<&Type> {
        match self.types.get(ty)? {
            Named::Object { fields, .. } | Named::Interface { fields, .. } => fields.get(field),
            _ => None,
        }
    }

    /// The type of argument `arg` of `field` on the object or interface `ty`.
    pub fn argument(&self, ty: &str, field: &str, arg: &str) -> Option<&Type> {
        self.arguments.get(ty)?.get(field)?.get(arg)
    }

    /// Whether the schema has a type named `name`.
    pub fn has_type(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    /// Whether argument `arg` of `field` on `ty` has a default value.
    pub fn argument_has_default(&self, ty: &str, field: &str, arg: &str) -> bool {
        self.defaults
            .contains(&(ty.to_owned(), field.to_owned(), arg.to_owned()))
    }

    /// The type of field `name` of the input object `input`.
    pub fn input_field(&self, input: &str, name: &str) -> Option<&Type> {
        self.input_field_def(input, name).map(|f| &f.ty)
    }

    /// Field `name` of the input object `input`.
    pub fn input_field_def(&self, input: &str, name: &str) -> Option<&InputField> {
        match self.types.get(input)? {
            Named::Input(fields) => fields.iter().find(|f| f.name == name),
            _ => None,
        }
    }

    /// Whether a fragment on `condition` applies to an object of type `object`.
    pub fn applies(&self, condition: &str, object: &str) -> bool {
        condition == object
            || matches!(self.types.get(object), Some(Named::Object { implements, .. })
                if implements.iter().any(|i| i == condition))
    }

    /// The object types a value of the named output type can be: itself for an object, its
    /// implementers for an interface, none for a leaf.
    pub fn objects(&self, name: &str) -> Option<Vec<&str>> {
        let (name, named) = self.types.get_key_value(name)?;
        match named {
            Named::Object { .. } => Some(vec![name.as_str()]),
            Named::Interface { objects, .. } => Some(objects.iter().map(|o| &**o).collect()),
            _ => None,
        }
    }

    /// Every field of every object and interface: the type it is on, its name, its type,
    /// and whether it pages (takes `first`).
    pub fn output_fields(&self) -> Vec<(&str, &str, &Type, bool)> {
        let mut out = Vec::new();
        for (name, t) in &self.types {
            if let Named::Object { fields, .. } | Named::Interface { fields, .. } = t {
                for (field, ty) in fields {
                    let paged = self.argument(name, field, "first").is_some();
                    out.push((&**name, &**field, ty, paged));
                }
            }
        }
        out.sort_unstable_by_key(|(on, field, _, _)| (*on, *field));
        out
    }

    /// Every object type, with its fields (for the coverage test).
    pub fn object_fields(&self) -> Vec<(&str, Vec<&str>)> {
        let mut out: Vec<(&str, Vec<&str>)> = self
            .types
            .iter()
            .filter_map(|(name, t)| match t {
                Named::Object { fields, .. } => {
                    let mut f: Vec<&str> = fields.keys().map(|k| &**k).collect();
                    f.sort_unstable();
                    Some((&**name, f))
                }
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Whether `value` is a valid input for `ty`. Stricter, where it differs at all, than the
    /// rules async-graphql validates by: a value refused here is a request error (see
    /// `coerce`), and a value let through that async-graphql would refuse would be a wrong
    /// answer.
    pub fn accepts(&self, ty: &Type, value: &Value) -> bool {
        self.check(ty, value, false).is_ok()
    }

    /// The names of the fields of the object or interface `ty`, for suggestions.
    pub fn field_names(&self, ty: &str) -> Vec<&str> {
        match self.types.get(ty) {
            Some(Named::Object { fields, .. } | Named::Interface { fields, .. }) => {
                fields.keys().map(|k| &**k).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The names of the arguments of `field` on `ty`, for suggestions.
    pub fn argument_names(&self, ty: &str, field: &str) -> Vec<&str> {
        self.arguments
            .get(ty)
            .and_then(|f| f.get(field))
            .map(|args| args.keys().map(|k| &**k).collect())
            .unwrap_or_default()
    }

    /// The names of the values of the enum `ty`, for suggestions.
    pub fn enum_values(&self, ty: &str) -> Vec<&str> {
        match self.types.get(ty) {
            Some(Named::Enum(values)) => values.iter().map(|v| &**v).collect(),
            _ => Vec::new(),
        }
    }

    /// The names of the fields of the input object `ty`, for suggestions.
    pub fn input_field_names(&self, ty: &str) -> Vec<&str> {
        match self.types.get(ty) {
            Some(Named::Input(fields)) => fields.iter().map(|f| &*f.name).collect(),
            _ => Vec::new(),
        }
    }

    /// Every named type, for suggestions.
    pub fn type_names(&self) -> Vec<&str> {
        self.types.keys().map(|k| &**k).collect()
    }
}

/// The named type at the bottom of a type's wrappers (`[Person!]!` is `Person`).
pub fn base_name(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(item) => base_name(item),
    }
}

/// Whether a variable of type `var` may stand where a value of type `location` goes: the
/// spec's rule, without its leave for a nullable variable with a default in a non-null place
/// (a client may still send null). async-graphql lets a nullable variable stand anywhere and
/// checks the value given against each place it is used in, where a plan checks the value
/// against the variable's type once; the two agree where the variable fits.
pub fn fits(var: &Type, location: &Type) -> bool {
    (location.nullable || !var.nullable)
        && match (&var.base, &location.base) {
            (BaseType::List(v), BaseType::List(l)) => fits(v, l),
            (BaseType::Named(v), BaseType::Named(l)) => v == l,
            _ => false,
        }
}
