// Package node is the Embassy daemon: one node of an embassy network, run by
// one ally. It loads its identity and the custodian-signed roster, keeps its
// shares in Badger (package node/store), serves the store, get and handoff
// protocols over libp2p (package transport) to the peers the roster admits,
// and delivers parcels it holds for nodes that were absent.
//
// A node never sees plaintext: it stores Shamir shares, manifests with
// pseudonyms and salted commitments, and HPKE-sealed parcels for others.
// It checks every share it accepts against the custodian's signature and
// its own index before writing it, and answers look-ups only from the
// custodian and the services the roster lists — never from other nodes,
// so no coalition smaller than t can pool shares through it.
//
// For simulations and tests, Config.Faults (in-process only) makes a node
// Byzantine: it may alter the record shares it serves and its key-switch
// shares before they are sealed or encoded. A nil Faults is an honest node.
package node
