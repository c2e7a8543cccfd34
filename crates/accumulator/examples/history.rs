//! Prints the history and operator benchmark figures as JSON (release build recommended):
//! `cargo run --release -p debye-accumulator --example history -- 10,1000,100000,1000000 10000`.

use debye_accumulator::bench::{HistoryConfig, example_args, history, operator_block};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (spans, slices) =
        example_args(std::env::args().skip(1), "10,1000,100000,1000000", "10000")?;
    let figures = history(&spans, &HistoryConfig::default())?;
    println!("{}", serde_json::to_string_pretty(&figures)?);
    if slices > 0 {
        println!(
            "{}",
            serde_json::to_string_pretty(&operator_block(slices)?)?
        );
    }
    let table = debye_accumulator::bench::geometry_table(&[0, 16, 32, 48, 64])?;
    println!("{}", serde_json::to_string_pretty(&table)?);
    Ok(())
}
