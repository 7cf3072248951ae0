package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/wecforge/wecforge/examples/transport/app"
)

// transportArgsEnv, when set in the environment, makes the test binary a transport replica:
// its value is a JSON array of the transport's command-line arguments (without the program
// name). TestE2ESharding re-executes the test binary this way, so the replicas it kills are
// real processes running exactly the shipped transport.
const transportArgsEnv = "WECFORGE_E2E_TRANSPORT"

// TestMain runs the transport instead of the tests when [transportArgsEnv] is set: it exits
// with the transport's exit code, 0 after SIGTERM or an interrupt; a malformed value exits 2.
func TestMain(m *testing.M) {
	raw, ok := os.LookupEnv(transportArgsEnv)
	if !ok {
		os.Exit(m.Run())
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: not a JSON array of strings: %v\n", transportArgsEnv, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := app.Main(ctx, args, os.Stderr)
	stop()
	os.Exit(code)
}
