package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// cdp drives a headless Chromium through the Chrome DevTools Protocol over
// --remote-debugging-pipe: Chromium reads NUL-terminated JSON messages on its fd 3 and writes
// replies and events on its fd 4. Speaking the protocol directly keeps a browser driver
// module (chromedp and its dependencies) out of the module graph that the library's users
// inherit; the handful of commands the report test needs fit in this file.
type cdp struct {
	cmd  *exec.Cmd
	in   io.WriteCloser // to Chromium's fd 3
	out  io.ReadCloser  // from Chromium's fd 4
	done chan struct{}  // closed when the reader stops

	mu      sync.Mutex
	nextID  int64
	waiting map[int64]chan cdpReply
	readErr error
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// startChromium starts binary headless with an empty profile under dir, its output in logFile.
func startChromium(binary, dir string, logFile io.Writer) (*cdp, error) {
	toChrome, chromeIn, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	chromeOut, fromChrome, err := os.Pipe()
	if err != nil {
		return nil, errors.Join(err, toChrome.Close(), chromeIn.Close())
	}
	cmd := exec.Command(binary,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--remote-debugging-pipe", "--user-data-dir="+dir, "--window-size=1280,900", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fd 3, fd 4
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The kernel kills Chromium if the test binary dies; its own process group lets Close end
	// its helper processes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(err, toChrome.Close(), chromeIn.Close(), chromeOut.Close(), fromChrome.Close())
	}
	// Chromium holds its ends now.
	_ = toChrome.Close()
	_ = fromChrome.Close()
	c := &cdp{cmd: cmd, in: chromeIn, out: chromeOut, done: make(chan struct{}), waiting: map[int64]chan cdpReply{}}
	go c.read()
	return c, nil
}

// read dispatches replies to their callers until the pipe closes; events are dropped (the
// test polls the page's state instead of following events).
func (c *cdp) read() {
	defer close(c.done)
	r := bufio.NewReaderSize(c.out, 1<<20)
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			c.mu.Lock()
			c.readErr = fmt.Errorf("reading from chromium: %w", err)
			c.mu.Unlock()
			return
		}
		var m struct {
			ID *int64 `json:"id"`
			cdpReply
		}
		if json.Unmarshal(bytes.TrimSuffix(msg, []byte{0}), &m) != nil || m.ID == nil {
			continue
		}
		c.mu.Lock()
		ch := c.waiting[*m.ID]
		delete(c.waiting, *m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m.cdpReply
		}
	}
}

// call sends one command (to the page session when session is not empty) and decodes its
// result into out (when not nil).
func (c *cdp) call(ctx context.Context, session, method string, params any, out any) error {
	c.mu.Lock()
	if c.readErr != nil {
		defer c.mu.Unlock()
		return c.readErr
	}
	c.nextID++
	id := c.nextID
	ch := make(chan cdpReply, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if params == nil {
		msg["params"] = map[string]any{}
	}
	if session != "" {
		msg["sessionId"] = session
	}
	js, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := c.in.Write(append(js, 0)); err != nil {
		return fmt.Errorf("%s: writing to chromium: %w", method, err)
	}
	select {
	case rep := <-ch:
		if rep.Error != nil {
			return fmt.Errorf("%s: chromium error %d: %s", method, rep.Error.Code, rep.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(rep.Result, out)
		}
		return nil
	case <-c.done:
		return fmt.Errorf("%s: chromium closed the pipe", method)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// openPage creates a tab and attaches to it, returning the session to address it.
func (c *cdp) openPage(ctx context.Context) (string, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return "", err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	err := c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	return attached.SessionID, err
}

// eval evaluates a JavaScript expression in the page and decodes its JSON value into out.
func (c *cdp) eval(ctx context.Context, session, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := c.call(ctx, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res); err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		desc := e.Text
		if e.Exception != nil {
			desc = e.Exception.Description
		}
		return fmt.Errorf("evaluating %q: %s", expr, desc)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// click presses and releases the left mouse button at (x, y) of the viewport, as a user does.
func (c *cdp) click(ctx context.Context, session string, x, y float64) error {
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		p := map[string]any{"type": typ, "x": x, "y": y, "button": "left", "clickCount": 1}
		if typ == "mouseMoved" {
			p["button"], p["clickCount"] = "none", 0
		}
		if err := c.call(ctx, session, "Input.dispatchMouseEvent", p, nil); err != nil {
			return err
		}
	}
	return nil
}

// Close asks Chromium to exit, and kills its process group if it has not within grace.
func (c *cdp) Close(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = c.call(ctx, "", "Browser.close", nil, nil)
	_ = c.in.Close()
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(grace):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	// Helpers Chromium leaves behind share its process group.
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
	return c.out.Close()
}
