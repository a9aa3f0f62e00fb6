package testnet

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/roster"
)

// ErrExists is returned when the target directory is not empty.
var ErrExists = errors.New("testnet directory exists and is not empty")

// Options for Init.
type Options struct {
	Nodes     int
	Threshold int
	Host      string // listen host, default 127.0.0.1
	// HEParams is written as every node's he_params: "production" (the
	// default) or "test" (fast, NOT SECURE; for tests).
	HEParams string
}

// hosting allies, in order; node k is hosted in allies[k-1 mod len].
var allies = []struct{ country, ally string }{
	{"FI", "Valtori (Finland)"}, {"LU", "Luxembourg Government Data Embassy"}, {"DE", "ITZBund (Germany)"},
	{"SE", "Statens IT (Sweden)"}, {"NL", "Rijks ICT (Netherlands)"}, {"LV", "VDAA (Latvia)"},
	{"LT", "RRT (Lithuania)"}, {"DK", "Statens IT (Denmark)"}, {"PL", "COI (Poland)"}, {"US", "US Data Embassy Partner"},
}

// Files names inside a testnet directory.
const (
	RosterFile    = "roster.json"
	ClientFile    = "client.toml"
	CustodianKey  = "custodian.key"
	ServiceKey    = "service.key"
	NetworkSecret = "network.secret"
	NodeConfig    = "config.toml"
	NodeKey       = "node.key"
	NodeLog       = "node.log"
	NodePid       = "node.pid"
	// The coordinator lives in DIR/coordinator.
	CoordinatorDir    = "coordinator"
	CoordinatorConfig = "config.toml"
	CoordinatorKey    = "coordinator.key"
	CoordinatorLog    = "coordinator.log"
	CoordinatorPid    = "coordinator.pid"
)

// ServicePolicy is the policy of the testnet's one service: every registry
// and field, cells of fewer than 10 records suppressed.
func ServicePolicy() *roster.Policy {
	return &roster.Policy{MinGroupSize: 10, Registries: []roster.Grant{
		{Registry: "business", Fields: []string{roster.AllFields}},
		{Registry: "land", Fields: []string{roster.AllFields}},
		{Registry: "population", Fields: []string{roster.AllFields}},
	}}
}

// NodeDir is the directory of node k (1-based).
func NodeDir(dir string, k int) string { return filepath.Join(dir, fmt.Sprintf("node%d", k)) }

// Init creates a complete testnet in dir. It builds everything in a
// temporary sibling directory and renames it into place, so a failure
// leaves nothing half-written.
func Init(dir string, o Options) error {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Nodes < 1 || o.Nodes > roster.MaxNodes {
		return fmt.Errorf("--nodes %d: want 1 to %d", o.Nodes, roster.MaxNodes)
	}
	if o.HEParams == "" {
		o.HEParams = "production"
	}
	if o.HEParams != "production" && o.HEParams != "test" {
		return fmt.Errorf("he params %q: want production or test", o.HEParams)
	}
	if o.Threshold < 1 || o.Threshold > o.Nodes {
		return fmt.Errorf("--threshold %d: want 1 to --nodes (%d)", o.Threshold, o.Nodes)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%w: %s", ErrExists, dir)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".testnet-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := build(tmp, o); err != nil {
		return err
	}
	_ = os.Remove(dir) // an empty directory may stand there
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("move testnet into place: %w", err)
	}
	return nil
}

func build(dir string, o Options) error {
	custodian, err := newKey(filepath.Join(dir, CustodianKey))
	if err != nil {
		return err
	}
	service, err := newKey(filepath.Join(dir, ServiceKey))
	if err != nil {
		return err
	}
	coord, err := newKey(filepath.Join(dir, CoordinatorDir, CoordinatorKey))
	if err != nil {
		return err
	}
	r := roster.Roster{Network: "testnet", Epoch: 1, Threshold: o.Threshold,
		Custodian: roster.Principal{Name: "custodian", SigningKey: custodian.PublicKey(), SealKey: custodian.SealPublicKey()},
		Services: []roster.Principal{{Name: "statistics", SigningKey: service.PublicKey(), SealKey: service.SealPublicKey(),
			Policy: ServicePolicy()}},
		Coordinators: []roster.Principal{{Name: "coordinator", SigningKey: coord.PublicKey(), SealKey: coord.SealPublicKey()}},
	}
	// One port per node for libp2p (TCP and QUIC), then one per node for
	// its status server, then the coordinator's API, all found in one pass
	// so none repeats.
	ports, err := freePorts(o.Host, 2*o.Nodes+1)
	if err != nil {
		return err
	}
	api := net.JoinHostPort(o.Host, strconv.Itoa(ports[2*o.Nodes]))
	if err := writeCoordinatorConfig(dir, api, custodian, o.HEParams); err != nil {
		return err
	}
	for k := 1; k <= o.Nodes; k++ {
		nd := NodeDir(dir, k)
		id, err := newKey(filepath.Join(nd, NodeKey))
		if err != nil {
			return err
		}
		a := allies[(k-1)%len(allies)]
		addrs := []string{
			fmt.Sprintf("/ip4/%s/tcp/%d", o.Host, ports[k-1]),
			fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", o.Host, ports[k-1]),
		}
		r.Nodes = append(r.Nodes, roster.Node{Index: k, Name: fmt.Sprintf("node%d", k), Ally: a.ally, Country: a.country,
			SigningKey: id.PublicKey(), SealKey: id.SealPublicKey(), Addrs: addrs})
		status := net.JoinHostPort(o.Host, strconv.Itoa(ports[o.Nodes+k-1]))
		if err := writeNodeConfig(nd, k, addrs, status, custodian, o.HEParams); err != nil {
			return err
		}
	}
	signed, err := roster.Sign(r, custodian.SigningKey())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, RosterFile), signed, 0o644); err != nil {
		return err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, NetworkSecret), []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return err
	}
	return writeClientConfig(dir, custodian, "http://"+api)
}

func newKey(path string) (*identity.Identity, error) {
	id, err := identity.Generate()
	if err != nil {
		return nil, err
	}
	return id, id.Save(path)
}

func writeNodeConfig(nd string, k int, addrs []string, status string, custodian *identity.Identity, heParams string) error {
	cfg := fmt.Sprintf(`# Embassy node configuration (see README "Configuration").
name = "node%d"
identity_file = %q
data_dir = "data"
roster_file = "../%s"
listen = [%q, %q]
custodian_key = %q
handoff_interval = "1s"
log_level = "info"
status_addr = %q
he_params = %q
`, k, NodeKey, RosterFile, addrs[0], addrs[1], base64.StdEncoding.EncodeToString(custodian.PublicKey()), status, heParams)
	return os.WriteFile(filepath.Join(nd, NodeConfig), []byte(cfg), 0o644)
}

func writeCoordinatorConfig(dir, api string, custodian *identity.Identity, heParams string) error {
	cfg := fmt.Sprintf(`# Embassy query coordinator configuration.
name = "coordinator"
identity_file = %q
roster_file = "../%s"
custodian_key = %q
http_addr = %q
he_params = %q
log_level = "info"
`, CoordinatorKey, RosterFile, base64.StdEncoding.EncodeToString(custodian.PublicKey()), api, heParams)
	return os.WriteFile(filepath.Join(dir, CoordinatorDir, CoordinatorConfig), []byte(cfg), 0o644)
}

func writeClientConfig(dir string, custodian *identity.Identity, coordinatorURL string) error {
	cfg := fmt.Sprintf(`# Embassy client configuration for the testnet: ingest, get and delete act
# as the custodian (identity_file); query acts as the service
# (service_identity_file) through the coordinator.
roster_file = %q
identity_file = %q
service_identity_file = %q
network_secret_file = %q
custodian_key = %q
coordinator_url = %q
`, RosterFile, CustodianKey, ServiceKey, NetworkSecret, base64.StdEncoding.EncodeToString(custodian.PublicKey()), coordinatorURL)
	return os.WriteFile(filepath.Join(dir, ClientFile), []byte(cfg), 0o644)
}

// freePorts finds n ports free for both TCP and UDP on host.
func freePorts(host string, n int) ([]int, error) {
	var ports []int
	var holds []func()
	defer func() {
		for _, h := range holds {
			h()
		}
	}()
	for tries := 0; len(ports) < n && tries < 100*n; tries++ {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			l.Close()
			continue
		}
		holds = append(holds, func() { l.Close(); u.Close() })
		ports = append(ports, port)
	}
	if len(ports) < n {
		return nil, fmt.Errorf("found only %d free ports of %d", len(ports), n)
	}
	return ports, nil
}
