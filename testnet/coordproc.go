package testnet

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dataembassy/embassy/coordinator"
)

// CoordinatorStatus reads the coordinator's pid file and checks the process
// (Node is 0).
func CoordinatorStatus(dir string) Status {
	var s Status
	data, err := os.ReadFile(filepath.Join(dir, CoordinatorDir, CoordinatorPid))
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

// HasCoordinator reports whether the testnet has a coordinator (testnets
// made before coordinators existed do not).
func HasCoordinator(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, CoordinatorDir, CoordinatorConfig))
	return err == nil
}

// CoordinatorAPI is the coordinator's API address (host:port).
func CoordinatorAPI(dir string) (string, error) {
	cfg, err := coordinator.LoadConfig(filepath.Join(dir, CoordinatorDir, CoordinatorConfig))
	if err != nil {
		return "", err
	}
	return cfg.HTTPAddr, nil
}

// UpCoordinator starts the coordinator as a background process of binary
// unless it runs, and waits until its API listens.
func UpCoordinator(dir, binary string, wait time.Duration) (Status, error) {
	if s := CoordinatorStatus(dir); s.Running {
		return s, nil
	}
	cd := filepath.Join(dir, CoordinatorDir)
	logf, err := os.OpenFile(filepath.Join(cd, CoordinatorLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Status{}, err
	}
	defer logf.Close()
	cmd := exec.Command(binary, "coordinator", "--config", filepath.Join(cd, CoordinatorConfig))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return Status{}, fmt.Errorf("start coordinator: %w", err)
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	if err := os.WriteFile(filepath.Join(cd, CoordinatorPid), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return Status{}, err
	}
	addr, err := CoordinatorAPI(dir)
	if err != nil {
		return Status{Pid: pid, Running: true}, err
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return Status{Pid: pid, Running: true}, nil
		}
		if !alive(pid) {
			return Status{Pid: pid}, fmt.Errorf("coordinator exited at start; see %s", filepath.Join(cd, CoordinatorLog))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return Status{Pid: pid, Running: true}, fmt.Errorf("coordinator did not listen on %s within %s; see its log", addr, wait)
}

// DownCoordinator stops the coordinator: SIGTERM, then SIGKILL after grace.
func DownCoordinator(dir string, grace time.Duration) Status {
	s := CoordinatorStatus(dir)
	if s.Running {
		_ = syscall.Kill(s.Pid, syscall.SIGTERM)
		deadline := time.Now().Add(grace)
		for alive(s.Pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(s.Pid) {
			_ = syscall.Kill(s.Pid, syscall.SIGKILL)
		}
	}
	_ = os.Remove(filepath.Join(dir, CoordinatorDir, CoordinatorPid))
	return s
}
