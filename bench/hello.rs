// The smallest Rust program that prints a shell statement: scripts/bench builds it with the
// release profile's settings and times `eval "$(hello)"` beside awsdo's warm switch, so row 2
// shows what any Rust binary's start-up (std's runtime, the loader) costs on this machine.
fn main() {
    println!("export AWSDO_BENCH_HELLO=1");
}
