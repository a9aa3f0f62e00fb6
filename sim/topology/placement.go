package topology

import "fmt"

// Node is one embassy node placed at a site. Index is its 1-based roster
// index; Name is "node" followed by the index.
type Node struct {
	Index int
	Name  string
	Site  string
}

// NodeName is the name of the node with a 1-based index.
func NodeName(index int) string { return fmt.Sprintf("node%d", index) }

// SiteCount asks for Count nodes at Site.
type SiteCount struct {
	Site  string
	Count int
}

// Spread places n nodes round-robin over sites in their order: node1 at
// sites[0], node2 at sites[1], and so on, wrapping around.
func Spread(sites []string, n int) []Node {
	if len(sites) == 0 {
		return nil
	}
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i] = Node{Index: i + 1, Name: NodeName(i + 1), Site: sites[i%len(sites)]}
	}
	return nodes
}

// Place places nodes site by site in the order of counts: the first
// counts[0].Count nodes at counts[0].Site, and so on. Counts below one
// place nothing.
func Place(counts []SiteCount) []Node {
	var nodes []Node
	for _, c := range counts {
		for range c.Count {
			k := len(nodes) + 1
			nodes = append(nodes, Node{Index: k, Name: NodeName(k), Site: c.Site})
		}
	}
	return nodes
}
