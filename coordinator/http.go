package coordinator

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
)

// MaxRequestBody bounds a POST /v1/queries body: a signed query with the
// service's HE public key (1.25 MiB at N=2^14) in base64.
const MaxRequestBody = 4 << 20

// SignedQueryJSON is the body of POST /v1/queries (byte fields base64).
type SignedQueryJSON struct {
	Query     []byte `json:"query"`
	Signature []byte `json:"signature"`
	TargetKey []byte `json:"target_key"`
}

// Proto converts to the wire message.
func (s SignedQueryJSON) Proto() *pb.SignedQuery {
	return &pb.SignedQuery{Query: s.Query, Signature: s.Signature, TargetKey: s.TargetKey}
}

// Record is what the API returns for a query.
type Record struct {
	ID     string      `json:"id"`
	Status string      `json:"status"` // running, done, failed
	Error  string      `json:"error,omitempty"`
	Code   string      `json:"code,omitempty"` // refusal code, or threshold_not_met
	Answer *AnswerJSON `json:"answer,omitempty"`
	Start  time.Time   `json:"started"`
	End    *time.Time  `json:"finished,omitempty"`
}

// AnswerJSON is an Answer in the API (ciphertexts base64).
type AnswerJSON struct {
	Ciphertexts  [][]byte `json:"ciphertexts"`
	ActiveSet    []int    `json:"active_set"`
	Attempts     int      `json:"attempts"`
	StateBatches uint64   `json:"state_batches"`
}

// CodeThresholdNotMet is the Record code when too few nodes could answer.
const CodeThresholdNotMet = "threshold_not_met"

// Server serves the coordinator's HTTP API.
type Server struct {
	c   *Coordinator
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	records map[string]*Record
	order   []string
}

// maxRecords bounds how many finished queries the server remembers.
const maxRecords = 1000

// NewServer wraps c.
func NewServer(c *Coordinator, log *slog.Logger, now func() time.Time) *Server {
	return &Server{c: c, log: log, now: now, records: map[string]*Record{}}
}

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/queries", s.post)
	mux.HandleFunc("GET /v1/queries/{id}", s.get)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	var body SignedQueryJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is not a signed query: " + err.Error()})
		return
	}
	if len(body.Query) == 0 || len(body.Signature) == 0 || len(body.TargetKey) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "query, signature and target_key are required"})
		return
	}
	id := protocol.QueryID(body.Query)
	rec := &Record{ID: hex.EncodeToString(id[:]), Status: "running", Start: s.now()}
	// A query submitted again still goes to the nodes (they refuse the
	// replay themselves); the first submission's record is kept.
	if !s.add(rec) {
		rec = &Record{ID: rec.ID, Status: "running", Start: rec.Start}
	}
	ctx, cancel := context.WithTimeout(r.Context(), protocol.LimitsFor(protocol.QueryProtoID).Deadline*2)
	defer cancel()
	ans, err := s.c.Run(ctx, body.Proto())
	s.finish(rec, ans, err)
	status := http.StatusOK
	if err != nil {
		status = http.StatusUnprocessableEntity
		if errors.Is(err, protocol.ErrThresholdNotMet) || errors.Is(err, ErrFailed) {
			status = http.StatusServiceUnavailable
		}
	}
	s.mu.Lock()
	out := *rec
	s.mu.Unlock()
	writeJSON(w, status, out)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	rec := s.snapshot(r.PathValue("id"))
	if rec == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such query"})
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) add(rec *Record) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.records[rec.ID]; dup {
		return false
	}
	s.records[rec.ID] = rec
	s.order = append(s.order, rec.ID)
	for len(s.order) > maxRecords {
		delete(s.records, s.order[0])
		s.order = s.order[1:]
	}
	return true
}

func (s *Server) finish(rec *Record, ans *Answer, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := s.now()
	rec.End = &end
	if err != nil {
		rec.Status, rec.Error = "failed", err.Error()
		var rf *protocol.Refusal
		switch {
		case errors.As(err, &rf):
			rec.Code = rf.Code
		case errors.Is(err, protocol.ErrThresholdNotMet):
			rec.Code = CodeThresholdNotMet
		}
		s.log.Info("query failed", "id", rec.ID[:16], "code", rec.Code, "err", err)
		return
	}
	rec.Status = "done"
	rec.Answer = &AnswerJSON{Ciphertexts: ans.Ciphertexts, ActiveSet: ans.ActiveSet, Attempts: ans.Attempts, StateBatches: ans.StateBatches}
	s.log.Info("query answered", "id", rec.ID[:16], "attempts", ans.Attempts, "nodes", ans.ActiveSet)
}

func (s *Server) snapshot(id string) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.records[id]
	if !ok {
		return nil
	}
	cp := *rec
	return &cp
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
