fn main() {
    let path = std::env::args().nth(1).expect("path");
    let src = std::fs::read_to_string(path).expect("read");
    let tree = fortress::parse::parse(&src).expect("parse");
    println!("{}", tree.root_node().to_sexp());
}
