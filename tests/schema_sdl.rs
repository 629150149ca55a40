//! `schema.graphql` is the SDL the server serves; any drift fails here.

#[test]
fn schema_graphql_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let served = leap_graphql::schema::sdl();
    assert!(
        committed == served,
        "schema.graphql differs from the schema the server serves; regenerate it with:\n\n    cargo run -- schema > schema.graphql\n"
    );
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let query = "{ __schema { types { name description fields { name description args { name description } } inputFields { name description } enumValues { name description } } } }";
    let response = leap_graphql::schema::build().execute(query).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let described = |v: &serde_json::Value| {
        v["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut missing = Vec::new();
    for t in data["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        if !described(t) {
            missing.push(name.to_owned());
        }
        for key in ["fields", "inputFields", "enumValues"] {
            for f in t[key].as_array().into_iter().flatten() {
                let field = format!("{name}.{}", f["name"].as_str().unwrap());
                if !described(f) {
                    missing.push(field.clone());
                }
                for a in f["args"].as_array().into_iter().flatten() {
                    if !described(a) {
                        missing.push(format!("{field}({})", a["name"].as_str().unwrap()));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undescribed schema items:\n{}",
        missing.join("\n")
    );
}
