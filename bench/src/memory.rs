//! Resident memory of a process from /proc (Linux): now (VmRSS) and its peak (VmHWM).

/// A process's resident memory, in MiB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    /// Resident now (VmRSS).
    pub rss_mib: f64,
    /// The most resident since the process started (VmHWM).
    pub peak_mib: f64,
}

impl Memory {
    /// The memory of process `pid`, or `None` when /proc cannot tell.
    pub fn of(pid: u32) -> Option<Self> {
        Self::parse(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
    }

    /// The memory of this process.
    pub fn of_self() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/self/status").ok()?)
    }

    /// Reads VmRSS and VmHWM from the text of /proc/PID/status.
    pub fn parse(status: &str) -> Option<Self> {
        Some(Self {
            rss_mib: field_mib(status, "VmRSS:")?,
            peak_mib: field_mib(status, "VmHWM:")?,
        })
    }
}

/// A `Name:   1234 kB` line of /proc/PID/status, in MiB.
fn field_mib(status: &str, name: &str) -> Option<f64> {
    let line = status.lines().find(|line| line.starts_with(name))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Peak resident memory of this process in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    Memory::of_self().map(|memory| memory.peak_mib)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_peak() {
        let status = "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n";
        let memory = Memory::parse(status).expect("both fields");
        assert_eq!(memory.rss_mib, 1.0);
        assert_eq!(memory.peak_mib, 2.0);
        assert!(Memory::parse("Name:\tx\n").is_none());
    }
}
