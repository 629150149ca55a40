fn main() {
    match leap_graphql::seed::load_bundled() {
        Ok(store) => println!("ok: {} films", store.films.len()),
        Err(report) => println!("{report}"),
    }
}
