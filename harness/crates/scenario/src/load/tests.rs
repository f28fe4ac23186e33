use super::*;

fn show(text: &str) {
    match load("x.toml", text) {
        Ok(s) => println!("OK {s:#?}"),
        Err(e) => println!("{e}\n"),
    }
}

#[test]
fn explore() {
    let base = "title = \"t\"\nsource = \"s\"\n";
    for extra in [
        "[world]\nhorizn = \"1s\"\n",
        "[world]\nhorizon = 30\n",
        "world = 3\n",
        "[step]\nat = \"0s\"\n",
        "[[step]]\nat  = \"30 seconds\"\nrun = \"sleep 1\"\n",
        "[[step]]\nat = \"5s\"\nrun = \"sleep 1\"\n[[step]]\nat = \"1s\"\nnet = \"heal\"\n",
        "[[step]]\nat = \"5s\"\n",
        "[[step]]\nat = \"5s\"\nrun = \"sleep 1\"\nnet = \"heal\"\n",
        "[[step]]\nrun = \"sleep 1\"\n",
        "[[step]]\nat = \"5s\"\nnet = \"partiton\"\n",
        "[[step]]\nat = \"5s\"\nnet = \"latency 2\"\n",
        "[[step]]\nat = \"5s\"\nrun = \"ps ax | grep x\"\n",
        "[[step]]\nat = \"5s\"\nrun = 'ps ax | grep x'\n",
        "[[step]]\nat = \"5s\"\nrun = \"echo \\\"a\\\" | grep x\"\n",
        "[[step]]\nat = \"5s\"\nrun = \"xterm </dev/null >/dev/null 2>&1 &\"\n",
        "[[step]]\nat = \"5s\"\nrun = \"nohup xterm &\"\n",
        "[[step]]\nat = \"500s\"\nrun = \"sleep 1\"\n",
        "[[step]]\nat = \"5s\"\nbogus = 1\n",
        "targets = [\"openssh\", \"drobear\"]\n",
        "targets = [\"openssh\", \"openssh\"]\n",
        "targets = []\n",
        "[expect.drobear]\nlost_bytes = 0\n",
        "[expect]\nlost_byte = 0\n",
        "[expect]\nclient = { exit = 0, after = \"31s\", within = \"30s\" }\n",
        "[expect]\nclient = { exit = 300 }\n",
        "[expect]\nclient = { exitt = 0 }\n",
        "[expect.\"hangar:close-on-exit\"]\nclient = { exitt = 0 }\n",
        "[expect.dropbear]\nlost_byte = 0\n",
        "[expect.\"hangar:drain=2s\"]\nlost_bytes = 0\n[expect.\"hangar:drain=2000ms\"]\nlost_bytes = 0\n",
        "[client]\nServerAliveInterval = \"x\"\n",
        "[client]\nserveraliveinterval = 1\n",
        "titel = 1\n",
        "title = 2\n",
        "tags = [1]\n",
        "[world]\nfiles = { big = \"1.5MiB\" }\n",
        "x = \n",
        "title = \"dup\"\n",
        "[expect]\nsurvivors = \"sleep\"\n",
    ] {
        println!("--- {extra}");
        show(&format!("{base}{extra}"));
    }
    show("");
    show("title = \"t\"\n");
}
