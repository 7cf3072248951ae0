package e2e_test

import (
	"bufio"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"

	"github.com/wecforge/wecforge/internal/e2e"
)

// agentOf returns the agent id of an OCM registration CSR for wec: the last field of the subject
// CN system:open-cluster-management:<wec>:<agent>.
func agentOf(request []byte, wec string) (string, error) {
	block, _ := pem.Decode(request)
	if block == nil {
		return "", errors.New("CSR request is not PEM")
	}
	cr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return "", err
	}
	agent, ok := strings.CutPrefix(cr.Subject.CommonName, "system:open-cluster-management:"+wec+":")
	if !ok {
		return "", fmt.Errorf("CSR subject %q is not for %s", cr.Subject.CommonName, wec)
	}
	return agent, nil
}

// fileLogger returns a logr.Logger writing to transport.log in the Env's log folder; the tail of
// the file is written to the test log when the test fails.
func fileLogger(t *testing.T, env *e2e.Env) logr.Logger {
	path := filepath.Join(env.Dir(), "logs", "transport.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(path)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) > 60 {
				lines = lines[len(lines)-60:]
			}
			t.Logf("=== transport log, last lines:\n%s", strings.Join(lines, "\n"))
		}
	})
	return funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(f, prefix, args)
	}, funcr.Options{LogTimestamp: true, Verbosity: 1})
}

// rssKiB returns a process's resident set size in KiB (0 when unknown).
func rssKiB(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}

// logMemory logs the resident memory of every running process and of the test binary (which
// runs the transport loop).
func logMemory(t *testing.T, env *e2e.Env) {
	total := 0
	var parts []string
	for _, p := range env.Processes() {
		if p.Exited() {
			continue
		}
		kib := rssKiB(p.Pid())
		total += kib
		parts = append(parts, fmt.Sprintf("%s %d", p.Name, kib/1024))
	}
	self := rssKiB(os.Getpid())
	total += self
	parts = append(parts, fmt.Sprintf("test binary (transport loop) %d", self/1024))
	t.Logf("MEASURE memory: total %d MiB RSS; per process (MiB): %s", total/1024, strings.Join(parts, ", "))
}

func parseCert(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func verifyOpts(ca *e2e.CA, cert *x509.Certificate) x509.VerifyOptions {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	opts := x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if len(cert.IPAddresses) > 0 {
		opts.DNSName = "localhost"
	}
	return opts
}

// moduleRoot is the wecforge module root; the test fails when run outside the repository.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := e2e.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}
