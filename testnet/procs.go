package testnet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dataembassy/embassy/node"
	ma "github.com/multiformats/go-multiaddr"
)

// NodeCount tells how many nodes a testnet directory has.
func NodeCount(dir string) (int, error) {
	n := 0
	for {
		if _, err := os.Stat(filepath.Join(NodeDir(dir, n+1), NodeConfig)); err != nil {
			break
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%s is not a testnet directory (no node1/%s); run `embassy testnet init` first", dir, NodeConfig)
	}
	return n, nil
}

// Select resolves a list of node numbers (nil = all) against dir.
func Select(dir string, only []int) ([]int, error) {
	n, err := NodeCount(dir)
	if err != nil {
		return nil, err
	}
	if len(only) == 0 {
		for k := 1; k <= n; k++ {
			only = append(only, k)
		}
		return only, nil
	}
	for _, k := range only {
		if k < 1 || k > n {
			return nil, fmt.Errorf("--node %d: the testnet has nodes 1 to %d", k, n)
		}
	}
	return only, nil
}

// Status is one node's process state.
type Status struct {
	Node    int
	Pid     int
	Running bool
}

// NodeStatus reads node k's pid file and checks the process.
func NodeStatus(dir string, k int) Status {
	s := pidStatus(filepath.Join(NodeDir(dir, k), NodePid))
	s.Node = k
	return s
}

// pidStatus reads a pid file and checks the process.
func pidStatus(pidFile string) Status {
	var s Status
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return s
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return s
	}
	s.Pid, s.Running = pid, alive(pid)
	return s
}

// alive reports whether pid runs (a zombie counts as dead).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no procfs: trust kill(0)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

// Up starts the selected nodes that are not running as background
// processes of binary (the embassy executable), with logs appended to
// nodeK/node.log and pids in nodeK/node.pid, and waits until each listens.
func Up(dir, binary string, only []int, wait time.Duration) ([]Status, error) {
	ks, err := Select(dir, only)
	if err != nil {
		return nil, err
	}
	var out []Status
	for _, k := range ks {
		if s := NodeStatus(dir, k); s.Running {
			out = append(out, s)
			continue
		}
		s, err := start(dir, binary, k)
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	for _, k := range ks {
		if err := waitListening(dir, k, wait); err != nil {
			return out, err
		}
	}
	return out, nil
}

func start(dir, binary string, k int) (Status, error) {
	nd := NodeDir(dir, k)
	pid, err := startProcess(binary, filepath.Join(nd, NodeLog), filepath.Join(nd, NodePid), "node", "--config", filepath.Join(nd, NodeConfig))
	if err != nil {
		return Status{}, fmt.Errorf("start node%d: %w", k, err)
	}
	return Status{Node: k, Pid: pid, Running: true}, nil
}

// startProcess starts binary with args in the background in its own
// process group, its output appended to logFile, and writes its pid to
// pidFile.
func startProcess(binary, logFile, pidFile string, args ...string) (int, error) {
	logf, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	return pid, os.WriteFile(pidFile, []byte(strconv.Itoa(pid)+"\n"), 0o644)
}

// waitListening polls the node's TCP address until it accepts or the
// process dies.
func waitListening(dir string, k int, wait time.Duration) error {
	cfg, err := node.LoadConfig(filepath.Join(NodeDir(dir, k), NodeConfig))
	if err != nil {
		return err
	}
	addr := ""
	for _, l := range cfg.Listen {
		if m, err := ma.NewMultiaddr(l); err == nil {
			if ip, err := m.ValueForProtocol(ma.P_IP4); err == nil {
				if port, err := m.ValueForProtocol(ma.P_TCP); err == nil {
					addr = net.JoinHostPort(ip, port)
					break
				}
			}
		}
	}
	if addr == "" {
		return nil
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		if !NodeStatus(dir, k).Running {
			return fmt.Errorf("node%d exited at start; see %s", k, filepath.Join(NodeDir(dir, k), NodeLog))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("node%d did not listen on %s within %s; see its log", k, addr, wait)
}

// Down stops the selected nodes: SIGTERM, then SIGKILL after grace.
func Down(dir string, only []int, grace time.Duration) ([]Status, error) {
	ks, err := Select(dir, only)
	if err != nil {
		return nil, err
	}
	var out []Status
	for _, k := range ks {
		s := NodeStatus(dir, k)
		stop(s, grace)
		_ = os.Remove(filepath.Join(NodeDir(dir, k), NodePid))
		out = append(out, s)
	}
	return out, nil
}

// stop sends a running process SIGTERM, and SIGKILL after grace.
func stop(s Status, grace time.Duration) {
	if !s.Running {
		return
	}
	_ = syscall.Kill(s.Pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for alive(s.Pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(s.Pid) {
		_ = syscall.Kill(s.Pid, syscall.SIGKILL)
	}
}
