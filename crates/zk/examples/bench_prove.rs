//! Print `debye_zk::bench::bench_prove` as JSON: `cargo run --release -p debye-zk --example bench_prove [samples]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let samples = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10);
    let report = debye_zk::bench::bench_prove(samples)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
