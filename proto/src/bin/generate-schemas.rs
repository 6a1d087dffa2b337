//! Writes the JSON Schema of every event into `proto/schemas/`.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas");
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    for (path, schema) in kindpakket_proto::schema::all_schemas() {
        let file = root.join(&path);
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let text = serde_json::to_string_pretty(&schema)? + "\n";
        std::fs::write(&file, text)?;
        println!("wrote proto/schemas/{path}");
    }
    Ok(())
}
