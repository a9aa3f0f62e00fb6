package testnet

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol/pb"
	badger "github.com/dgraph-io/badger/v4"
	"google.golang.org/protobuf/proto"
)

// TamperShares is a fault injector for tests and the demo: in the store of
// the stopped node in nodeDir it flips the first byte of up to limit shares
// of registry, as disk corruption or a malicious host would. It returns
// how many shares it changed.
func TamperShares(nodeDir, registry string, limit int) (int, error) {
	st, err := store.Open(filepath.Join(nodeDir, "data", "badger"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return 0, err
	}
	defer st.Close()
	prefix := append([]byte(store.SharePrefix+registry), 0)
	type edit struct{ key, val []byte }
	var edits []edit
	err = st.DB().View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid() && len(edits) < limit; it.Next() {
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			s := &pb.StoredShare{}
			if err := proto.Unmarshal(val, s); err != nil || len(s.Share) == 0 {
				continue
			}
			s.Share[0] ^= 0xff
			out, err := proto.Marshal(s)
			if err != nil {
				return err
			}
			edits = append(edits, edit{it.Item().KeyCopy(nil), out})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	wb := st.DB().NewWriteBatch()
	defer wb.Cancel()
	for _, e := range edits {
		if err := wb.Set(e.key, e.val); err != nil {
			return 0, fmt.Errorf("tamper: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, fmt.Errorf("tamper: %w", err)
	}
	return len(edits), nil
}
