//! The utilities that make, test and remove files on a simulated host,
//! each as its POSIX page (XCU "Utilities") describes it, reduced to the
//! options listed; messages as coreutils and dash write them. Paths are
//! relative to the home every process starts in.

use crate::sim::unix::{FileKind, Proc};

async fn say(proc: &Proc, text: String) {
    let _ = proc.write(2, format!("{text}\n").as_bytes()).await;
}

/// The options (`-f`, `-rf`...) before the operands, as letters.
fn split_options(argv: &[String]) -> (String, &[String]) {
    let count = argv[1..]
        .iter()
        .take_while(|a| a.len() > 1 && a.starts_with('-'))
        .count();
    let letters = argv[1..=count]
        .iter()
        .flat_map(|a| a[1..].chars())
        .collect();
    (letters, &argv[1 + count..])
}

/// touch(1p): creates each file that does not exist (times are not
/// modelled).
pub async fn touch(proc: &Proc, argv: &[String]) -> i32 {
    let (_, files) = split_options(argv);
    if files.is_empty() {
        say(proc, "touch: missing file operand".into()).await;
        return 1;
    }
    for file in files {
        if proc.kernel.stat(file).is_none() {
            proc.kernel.create_file(file, false);
        }
    }
    0
}

/// rm(1p) with `-f` (no complaint about what is not there) and `-r`
/// (directories and what is under them).
pub async fn rm(proc: &Proc, argv: &[String]) -> i32 {
    let (options, files) = split_options(argv);
    let force = options.contains('f');
    let recursive = options.contains('r') || options.contains('R');
    if files.is_empty() && !force {
        say(proc, "rm: missing operand".into()).await;
        return 1;
    }
    let mut status = 0;
    for file in files {
        match proc.kernel.remove(file, recursive) {
            Ok(()) => {}
            Err("No such file or directory") if force => {}
            Err(why) => {
                say(proc, format!("rm: cannot remove '{file}': {why}")).await;
                status = 1;
            }
        }
    }
    status
}

/// mkdir(1p) with `-p` (no error for a directory that exists; the
/// parents are not modelled, every name can be made).
pub async fn mkdir(proc: &Proc, argv: &[String]) -> i32 {
    let (options, dirs) = split_options(argv);
    let parents = options.contains('p');
    if dirs.is_empty() {
        say(proc, "mkdir: missing operand".into()).await;
        return 1;
    }
    let mut status = 0;
    for dir in dirs {
        let exists_as_dir = proc.kernel.stat(dir) == Some(FileKind::Directory);
        if parents && exists_as_dir {
            continue;
        }
        if let Err(why) = proc.kernel.mkdir(dir) {
            say(
                proc,
                format!("mkdir: cannot create directory '{dir}': {why}"),
            )
            .await;
            status = 1;
        }
    }
    status
}

/// test(1p), the file primaries `-e`, `-f`, `-d` and `-s`, `!` before
/// one, and a lone operand (true when not empty): exit 0 when true, 1
/// when false, 2 for what it cannot read.
pub async fn test(proc: &Proc, argv: &[String]) -> i32 {
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    let (negate, args) = match args.split_first() {
        Some((&"!", rest)) if !rest.is_empty() => (true, rest.to_vec()),
        _ => (false, args),
    };
    let truth = match args.as_slice() {
        [] => Some(false),
        [word] => Some(!word.is_empty()),
        [primary, file] => {
            let found = proc.kernel.stat(file);
            match *primary {
                "-e" => Some(found.is_some()),
                "-f" => Some(matches!(found, Some(FileKind::Regular(_)))),
                "-d" => Some(found == Some(FileKind::Directory)),
                "-s" => Some(matches!(found, Some(FileKind::Regular(n)) if n > 0)),
                _ => None,
            }
        }
        _ => None,
    };
    match truth {
        Some(t) => i32::from(t == negate),
        None => {
            say(
                proc,
                format!("sh: test: unsupported expression: {}", args.join(" ")),
            )
            .await;
            2
        }
    }
}
