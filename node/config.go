package node

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/transport"
)

// ErrBadConfig is returned for a configuration that cannot be used.
var ErrBadConfig = errors.New("bad node config")

// Config is a node's configuration file (TOML). Relative paths are relative
// to the file's directory.
type Config struct {
	// Name of this node, as in the roster (for logs).
	Name string `toml:"name"`
	// IdentityFile holds the node's secret seed (embassy keygen).
	IdentityFile string `toml:"identity_file"`
	// DataDir is where the Badger store lives.
	DataDir string `toml:"data_dir"`
	// Listen lists libp2p multiaddrs, e.g. /ip4/0.0.0.0/tcp/4001 and /ip4/0.0.0.0/udp/4001/quic-v1.
	Listen []string `toml:"listen"`
	// RosterFile is the custodian-signed roster.
	RosterFile string `toml:"roster_file"`
	// CustodianKey pins the custodian's Ed25519 public key (base64); the roster must verify under it.
	CustodianKey string `toml:"custodian_key"`
	// HandoffInterval is how often held parcels are offered to absent nodes (default 2s).
	HandoffInterval string `toml:"handoff_interval"`
	// LogLevel is debug, info, warn or error (default info).
	LogLevel string `toml:"log_level"`
	// StatusAddr is the host:port of the node's operator HTTP server
	// (/healthz, /status, /metrics), e.g. 127.0.0.1:8701; empty turns it
	// off. Use 0.0.0.0 or [::] as host to listen on every interface.
	StatusAddr string `toml:"status_addr"`
	// HEParams selects the threshold-HE parameters of the federation key:
	// "production" (the default; thhe.ProductionParams) or "test"
	// (thhe.TestParams, NOT SECURE, for fast tests). Every node of a
	// network must use the same.
	HEParams string `toml:"he_params"`

	// NewHost builds the node's libp2p host; nil means transport.NewHost.
	// For in-process callers only (a simulator builds hosts over simulated
	// packet connections); a configuration file cannot set it.
	NewHost transport.HostFactory `toml:"-"`
	// Store tunes the Badger store; the zero value is the production
	// setting. For in-process callers only (a simulator running many nodes
	// sets Small); a configuration file cannot set it.
	Store store.Options `toml:"-"`
	// Faults makes the node Byzantine: nil (the default) is an honest
	// node. For simulations and tests only; a configuration file cannot
	// set it. See Faults.
	Faults Faults `toml:"-"`

	custodian ed25519.PublicKey
	handoff   time.Duration
}

// LoadConfig reads and validates a node configuration file.
func LoadConfig(path string) (Config, error) {
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %s: %w", ErrBadConfig, path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return Config{}, fmt.Errorf("%w: %s: unknown setting %q", ErrBadConfig, path, und[0].String())
	}
	base := filepath.Dir(path)
	for _, p := range []*string{&c.IdentityFile, &c.DataDir, &c.RosterFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Check validates a Config built in code (LoadConfig checks the ones read
// from files) and derives what Start needs from it.
func (c *Config) Check() error { return c.validate() }

func (c *Config) validate() error {
	missing := func(what string) error { return fmt.Errorf("%w: %s is not set", ErrBadConfig, what) }
	switch {
	case c.IdentityFile == "":
		return missing("identity_file")
	case c.DataDir == "":
		return missing("data_dir")
	case c.RosterFile == "":
		return missing("roster_file")
	case len(c.Listen) == 0:
		return missing("listen")
	case c.CustodianKey == "":
		return missing("custodian_key")
	}
	key, err := roster.ParseCustodianKey(c.CustodianKey)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	c.custodian = key
	c.handoff = 2 * time.Second
	if c.HandoffInterval != "" {
		d, err := time.ParseDuration(c.HandoffInterval)
		if err != nil || d <= 0 {
			return fmt.Errorf("%w: handoff_interval %q is not a positive duration", ErrBadConfig, c.HandoffInterval)
		}
		c.handoff = d
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		return err
	}
	if err := validStatusAddr(c.StatusAddr); err != nil {
		return err
	}
	switch c.HEParams {
	case "", "production", "test":
	default:
		return fmt.Errorf("%w: he_params %q: want production or test", ErrBadConfig, c.HEParams)
	}
	if _, err := os.Stat(c.RosterFile); err != nil {
		return fmt.Errorf("%w: roster_file: %w", ErrBadConfig, err)
	}
	return nil
}

// validStatusAddr accepts "" (off) or host:port with a non-empty host and
// a numeric port.
func validStatusAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		var p int
		p, err = strconv.Atoi(port)
		switch {
		case err != nil || p < 0 || p > 65535:
			err = fmt.Errorf("port %q is not a number from 0 to 65535", port)
		case host == "":
			err = errors.New("host is empty (use 0.0.0.0 to listen on every interface)")
		case strings.ContainsAny(host, " \t/"):
			err = fmt.Errorf("host %q is not a host name or IP address", host)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: status_addr %q: want host:port: %w", ErrBadConfig, addr, err)
	}
	return nil
}

// CustodianPublicKey is the pinned custodian key.
func (c Config) CustodianPublicKey() ed25519.PublicKey { return c.custodian }

// ParseLevel maps a log level name to slog.Level-compatible values.
func ParseLevel(s string) (int, error) {
	switch s {
	case "", "info":
		return 0, nil
	case "debug":
		return -4, nil
	case "warn":
		return 4, nil
	case "error":
		return 8, nil
	}
	return 0, fmt.Errorf("%w: log_level %q: want debug, info, warn or error", ErrBadConfig, s)
}
