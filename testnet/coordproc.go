package testnet

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/dataembassy/embassy/coordinator"
)

// CoordinatorStatus reads the coordinator's pid file and checks the process
// (Node is 0).
func CoordinatorStatus(dir string) Status {
	return pidStatus(filepath.Join(dir, CoordinatorDir, CoordinatorPid))
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
	pid, err := startProcess(binary, filepath.Join(cd, CoordinatorLog), filepath.Join(cd, CoordinatorPid),
		"coordinator", "--config", filepath.Join(cd, CoordinatorConfig))
	if err != nil {
		return Status{}, fmt.Errorf("start coordinator: %w", err)
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
	stop(s, grace)
	_ = os.Remove(filepath.Join(dir, CoordinatorDir, CoordinatorPid))
	return s
}
