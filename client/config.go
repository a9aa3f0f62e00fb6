package client

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/dataembassy/embassy/roster"
)

// ErrBadConfig is returned for a client configuration that cannot be used.
var ErrBadConfig = errors.New("bad client config")

// Config is the client configuration file (TOML). Relative paths are
// relative to the file's directory.
type Config struct {
	// RosterFile is the custodian-signed roster.
	RosterFile string `toml:"roster_file"`
	// IdentityFile is this principal's key (the custodian's for ingest and delete).
	IdentityFile string `toml:"identity_file"`
	// NetworkSecretFile holds the 32-byte secret (hex) from which record
	// pseudonyms and content tags are derived; custodian and services share it.
	NetworkSecretFile string `toml:"network_secret_file"`
	// CustodianKey pins the custodian's Ed25519 public key (base64).
	CustodianKey string `toml:"custodian_key"`
	// ServiceIdentityFile, if set, is the service key queries are signed
	// with (IdentityFile is used when it is not set).
	ServiceIdentityFile string `toml:"service_identity_file"`
	// CoordinatorURL, if set, is the coordinator's HTTP API
	// (http://host:port) that queries go through; unset, the client
	// coordinates its queries itself over libp2p.
	CoordinatorURL string `toml:"coordinator_url"`

	custodian ed25519.PublicKey
}

// LoadConfig reads and validates a client configuration file.
func LoadConfig(path string) (Config, error) {
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return Config{}, fmt.Errorf("%w: %s: unknown setting %q", ErrBadConfig, path, und[0].String())
	}
	base := filepath.Dir(path)
	for _, p := range []*string{&c.RosterFile, &c.IdentityFile, &c.NetworkSecretFile, &c.ServiceIdentityFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	for name, v := range map[string]string{"roster_file": c.RosterFile, "identity_file": c.IdentityFile,
		"network_secret_file": c.NetworkSecretFile, "custodian_key": c.CustodianKey} {
		if v == "" {
			return Config{}, fmt.Errorf("%w: %s: %s is not set", ErrBadConfig, path, name)
		}
	}
	key, err := roster.ParseCustodianKey(c.CustodianKey)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %s: %w", ErrBadConfig, path, err)
	}
	c.custodian = key
	return c, nil
}

// LoadSecret reads a 32-byte hex secret file.
func LoadSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("network secret: %w", err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%w: network secret %s is not 32 bytes of hex", ErrBadConfig, path)
	}
	return b, nil
}
