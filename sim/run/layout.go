package run

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/sim/topology"
	"github.com/dataembassy/embassy/testnet"
)

// port is the UDP port every simulated host listens on.
const port = 4001

// maxClients bounds the clients of one scenario: they live at
// 10.S.200.1 to 10.S.200.250 of their site.
const maxClients = 250

// nodeAddr is node index's simulated address at site: 10.S.H.L with
// S the site's position in the topology and H.L the index.
func nodeAddr(site, index int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(site), byte(index >> 8), byte(index)})
}

// clientAddr is the address of the c-th client (from 0) at site.
func clientAddr(site, c int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(site), 200, byte(c + 1)})
}

func quicAddr(a netip.Addr) string { return fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", a, port) }

// seedFor derives a 32-byte secret for a named principal from the
// scenario's seed: every identity of a run repeats from the seed.
func seedFor(seed uint64, label string) []byte {
	h := sha256.New()
	h.Write([]byte("embassy/sim/identity/v1\x00"))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(label))
	return h.Sum(nil)
}

// layout is one run's embassy network: identities, the signed roster and
// every node's directory, under dir.
type layout struct {
	dir       string
	roster    roster.Roster
	digest    roster.Digest
	custodian *identity.Identity
	services  map[string]*identity.Identity // by client name
	nodes     []placedNode
	clients   []placedClient
	secret    []byte // the network's pseudonym secret
}

type placedNode struct {
	topology.Node
	site     int // index into the topology's sites
	addr     netip.Addr
	dir      string
	identity *identity.Identity
}

type placedClient struct {
	sim.Client
	site int
	addr netip.Addr
}

// newLayout derives every identity from the seed and writes the nodes'
// key files and the custodian-signed roster under dir.
func newLayout(dir string, s *sim.Scenario, sites []topology.Site) (*layout, error) {
	siteIndex := map[string]int{}
	for i, st := range sites {
		siteIndex[st.ID] = i
	}
	if len(sites) > 254 {
		return nil, fmt.Errorf("%d sites: the simulated network has room for 254", len(sites))
	}
	if len(s.Workload.Clients) > maxClients {
		return nil, fmt.Errorf("%d clients: at most %d", len(s.Workload.Clients), maxClients)
	}
	l := &layout{dir: dir, services: map[string]*identity.Identity{}, secret: seedFor(s.Seed, "network-secret")}
	var err error
	if l.custodian, err = identity.FromSeed(seedFor(s.Seed, "custodian")); err != nil {
		return nil, err
	}
	r := roster.Roster{Network: "sim-" + s.Name, Epoch: 1, Threshold: s.Nodes.Threshold,
		Custodian: roster.Principal{Name: "custodian", SigningKey: l.custodian.PublicKey(), SealKey: l.custodian.SealPublicKey()}}
	for c, cl := range s.Workload.Clients {
		site, ok := siteIndex[cl.Site]
		if !ok {
			return nil, fmt.Errorf("client %s: unknown site %q", cl.Name, cl.Site)
		}
		l.clients = append(l.clients, placedClient{Client: cl, site: site, addr: clientAddr(site, c)})
		if cl.Role != sim.RoleService {
			continue
		}
		id, err := identity.FromSeed(seedFor(s.Seed, "service/"+cl.Name))
		if err != nil {
			return nil, err
		}
		l.services[cl.Name] = id
		r.Services = append(r.Services, roster.Principal{Name: cl.Name, SigningKey: id.PublicKey(),
			SealKey: id.SealPublicKey(), Policy: testnet.ServicePolicy()})
	}
	for _, n := range s.NodeList() {
		site, ok := siteIndex[n.Site]
		if !ok {
			return nil, fmt.Errorf("%s: unknown site %q", n.Name, n.Site)
		}
		id, err := identity.FromSeed(seedFor(s.Seed, n.Name))
		if err != nil {
			return nil, err
		}
		pn := placedNode{Node: n, site: site, addr: nodeAddr(site, n.Index),
			dir: filepath.Join(dir, n.Name), identity: id}
		if err := os.MkdirAll(pn.dir, 0o700); err != nil {
			return nil, err
		}
		if err := id.Save(filepath.Join(pn.dir, testnet.NodeKey)); err != nil {
			return nil, err
		}
		l.nodes = append(l.nodes, pn)
		r.Nodes = append(r.Nodes, roster.Node{Index: n.Index, Name: n.Name, Ally: sites[site].City,
			Country: sites[site].Country, SigningKey: id.PublicKey(), SealKey: id.SealPublicKey(),
			Addrs: []string{quicAddr(pn.addr)}})
	}
	signed, err := roster.Sign(r, l.custodian.SigningKey())
	if err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	if err := os.WriteFile(l.rosterFile(), signed, 0o644); err != nil {
		return nil, err
	}
	if l.roster, l.digest, err = roster.Open(signed, l.custodian.PublicKey()); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *layout) rosterFile() string { return filepath.Join(l.dir, testnet.RosterFile) }

func (l *layout) custodianKey() string {
	return base64.StdEncoding.EncodeToString(l.custodian.PublicKey())
}
