package kubeplane

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Tier orders shutdown: lower tiers stop first. OCM processes and controller managers stop
// before the API servers they talk to, API servers before their etcd (an API server whose etcd
// died first hangs in shutdown).
type Tier int

// The shutdown tiers.
const (
	TierAgent Tier = iota
	TierAPIServer
	TierEtcd
	// NumTiers is the number of tiers, for arrays indexed by Tier.
	NumTiers
)

// Process is one child process with its output in a log file. Create it with [StartProcess].
// Its methods are safe for concurrent use.
type Process struct {
	// Name identifies the process in messages and names its log file.
	Name string
	// Log is the path of the file holding its stdout and stderr.
	Log string

	tier Tier
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done is closed

	stopOnce sync.Once
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the process has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// StartProcess starts bin with args, its output appended to logPath, in its own process group,
// killed by the kernel if the test binary dies. tier is recorded for callers that stop processes
// in order (see [Tier]); the caller must eventually call [Process.Stop].
func StartProcess(name, logPath string, tier Tier, bin string, args ...string) (*Process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Log: logPath, tier: tier, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// Stop sends SIGTERM to the process group, waits up to grace, then sends SIGKILL and waits for
// the process to be reaped. It is idempotent and returns whether SIGKILL was needed.
func (p *Process) Stop(grace time.Duration) (killed bool) {
	p.stopOnce.Do(func() {
		if p.Exited() {
			return
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
			return
		case <-time.After(grace):
		}
		killed = true
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return killed
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string {
	f, err := os.Open(p.Log)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 4*n {
			lines = lines[len(lines)-n:]
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Tier returns the shutdown tier given to [StartProcess].
func (p *Process) Tier() Tier { return p.tier }

// ExitError describes how the process ended, for messages: nil while it runs, an error naming
// the exit status (status 0 included, since a server should not exit) once it has ended.
func (p *Process) ExitError() error {
	if !p.Exited() {
		return nil
	}
	if p.err == nil {
		return errors.New("exited with status 0")
	}
	return p.err
}

// ports hands out free loopback ports, never the same one twice in a run.
var ports struct {
	sync.Mutex
	used map[int]bool
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago and that this process has
// not handed out before.
func FreePort() (int, error) {
	ports.Lock()
	defer ports.Unlock()
	if ports.used == nil {
		ports.used = map[int]bool{}
	}
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !ports.used[port] {
			ports.used[port] = true
			return port, nil
		}
	}
	return 0, errors.New("no free loopback port")
}
