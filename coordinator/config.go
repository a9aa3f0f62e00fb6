package coordinator

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"path/filepath"

	"github.com/BurntSushi/toml"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/thhe"
)

// ErrBadConfig is returned for a configuration that cannot be used.
var ErrBadConfig = errors.New("bad coordinator config")

// Config is the coordinator's configuration file (TOML). Relative paths are
// relative to the file's directory.
type Config struct {
	// Name is the coordinator's name in the roster's coordinators list.
	Name string `toml:"name"`
	// IdentityFile is the coordinator's key (`embassy keygen`); its signing
	// key must be listed under the roster's coordinators.
	IdentityFile string `toml:"identity_file"`
	// RosterFile is the custodian-signed roster.
	RosterFile string `toml:"roster_file"`
	// CustodianKey pins the custodian's Ed25519 public key (base64).
	CustodianKey string `toml:"custodian_key"`
	// HTTPAddr is where the API listens (host:port), e.g. 127.0.0.1:8700.
	HTTPAddr string `toml:"http_addr"`
	// HEParams names the network's HE parameters: production (default) or test.
	HEParams string `toml:"he_params"`
	// LogLevel: debug, info (default), warn or error.
	LogLevel string `toml:"log_level"`

	custodian ed25519.PublicKey
}

// LoadConfig reads and validates a coordinator configuration file.
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
	for _, p := range []*string{&c.IdentityFile, &c.RosterFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	for name, v := range map[string]string{"identity_file": c.IdentityFile, "roster_file": c.RosterFile,
		"custodian_key": c.CustodianKey, "http_addr": c.HTTPAddr} {
		if v == "" {
			return Config{}, fmt.Errorf("%w: %s: %s is not set", ErrBadConfig, path, name)
		}
	}
	key, err := roster.ParseCustodianKey(c.CustodianKey)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %s: %w", ErrBadConfig, path, err)
	}
	c.custodian = key
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return Config{}, fmt.Errorf("%w: %s: http_addr %q: %w", ErrBadConfig, path, c.HTTPAddr, err)
	}
	if _, err := thhe.ParamsByName(c.HEParams); err != nil {
		return Config{}, fmt.Errorf("%w: %s: he_params: %w", ErrBadConfig, path, err)
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		return Config{}, fmt.Errorf("%w: %s: log_level %q: want debug, info, warn or error", ErrBadConfig, path, c.LogLevel)
	}
	return c, nil
}

// CustodianPublicKey is the pinned custodian key.
func (c Config) CustodianPublicKey() ed25519.PublicKey { return c.custodian }
