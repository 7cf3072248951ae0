package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Measurement is the result of one fleet size.
type Measurement struct {
	// WECs is the fleet size; Works the ManifestWorks the change updated.
	WECs, Works int
	// Wall is from the transport observing the edit to its last write acknowledged.
	Wall time.Duration
	// RawWritesPerSec is the best rate of the minimal client.
	RawWritesPerSec float64
	// RSS is the transport's peak resident set (VmHWM), in bytes.
	RSS int64
}

// WritesPerSec is Works ÷ Wall; zero when Wall is not positive.
func (m Measurement) WritesPerSec() float64 {
	if m.Wall <= 0 {
		return 0
	}
	return float64(m.Works) / m.Wall.Seconds()
}

// Fraction is WritesPerSec ÷ RawWritesPerSec; zero when the raw rate is not positive.
func (m Measurement) Fraction() float64 {
	if m.RawWritesPerSec <= 0 {
		return 0
	}
	return m.WritesPerSec() / m.RawWritesPerSec
}

// String is the MEASURE line, keys in the order the issue fixes.
func (m Measurement) String() string {
	return fmt.Sprintf("MEASURE delivery wecs=%d works=%d wall=%.1fs writes/s=%d raw-writes/s=%d fraction=%.2f rss=%dMiB",
		m.WECs, m.Works, m.Wall.Seconds(), int64(m.WritesPerSec()+0.5), int64(m.RawWritesPerSec+0.5),
		m.Fraction(), (m.RSS+(1<<19))>>20)
}

// errNoField is wrapped when /proc/PID/status lacks the field asked for.
var errNoField = errors.New("field not found")

// statusField returns a "<n> kB" field of a /proc/PID/status text, in bytes.
func statusField(status []byte, field string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s: unexpected value %q", field, rest)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("%s: unexpected value %q", field, rest)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("%w: %s", errNoField, field)
}

// peakRSS returns the VmHWM of process pid, in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return statusField(b, "VmHWM")
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on every Linux port Go runs on).
const clockTicks = 100

// cpuTime parses a /proc/PID/stat text: user plus system time of the process.
func cpuTime(stat []byte) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may contain spaces: skip past the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// After the name: state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15).
	if len(f) < 13 {
		return 0, errors.New("stat: too few fields")
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("stat: bad time %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// processCPU returns the CPU time process pid has used.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return cpuTime(b)
}

// cpuMeter records the CPU time of named processes between two points.
type cpuMeter struct {
	names []string
	pids  []int
	start []time.Duration
}

func newCPUMeter(names []string, pids []int) *cpuMeter {
	m := &cpuMeter{names: names, pids: pids, start: make([]time.Duration, len(pids))}
	for i, p := range pids {
		m.start[i], _ = processCPU(p)
	}
	return m
}

// since returns "name=<s>s ..." with each process's CPU seconds since newCPUMeter.
func (m *cpuMeter) since() string {
	var b strings.Builder
	for i, p := range m.pids {
		now, err := processCPU(p)
		if i > 0 {
			b.WriteByte(' ')
		}
		if err != nil {
			fmt.Fprintf(&b, "%s-cpu=?", m.names[i])
			continue
		}
		fmt.Fprintf(&b, "%s-cpu=%.1fs", m.names[i], (now - m.start[i]).Seconds())
	}
	return b.String()
}
