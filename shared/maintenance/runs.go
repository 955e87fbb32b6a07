package maintenance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/funchost"
)

// Manual runs. An admin asks for a rebuild or a drift repair over HTTP; the
// request is queued rather than run in the HTTP call, because an HTTP
// function must answer within 230 s and a rebuild takes minutes. The
// RunMaintenance queue function then runs the job under the same Cosmos lease
// as the nightly timer, so the two never overlap. Every run has a status
// document runs/<id>.json in the maintenance reports container — queued when
// asked, running when it starts, final with the job report when done — that
// the admin polls.

// Run states.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	// RunSkipped: another run held the lease; nothing was done.
	RunSkipped = "skipped"
)

// RunRequest is the queue message of one manual run.
type RunRequest struct {
	ID          string    `json:"id"`
	Steps       []string  `json:"steps"`
	RequestedBy string    `json:"requestedBy"`
	RequestedAt time.Time `json:"requestedAt"`
}

// RunStatus is what the admin sees of a run.
type RunStatus struct {
	RunRequest
	Status    string     `json:"status"`
	Reason    string     `json:"reason,omitempty"`
	UpdatedAt time.Time  `json:"updatedAt"`
	Report    *JobReport `json:"report,omitempty"`
}

// StatusStore keeps run status documents. Get returns an error wrapping
// apperr.NotFound for a name never written.
type StatusStore interface {
	WriteReport(ctx context.Context, name string, body []byte) error
	ReadReport(ctx context.Context, name string) ([]byte, error)
}

// Enqueuer sends one message to the manual-run queue.
type Enqueuer interface {
	Enqueue(ctx context.Context, body []byte) error
}

// Runs starts manual runs of Job and reports on them.
type Runs struct {
	Job    *Job
	Status StatusStore
	Queue  Enqueuer
	// Now is time.Now when nil.
	Now func() time.Time
}

// runID bounds run ids: they name blobs and appear in URLs.
var runID = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$`)

func (r *Runs) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func statusName(id string) string { return "runs/" + id + ".json" }

// Start validates steps (names of the job's steps, at least one), records the
// run as queued and queues it. Unknown steps are an apperr.ParamError on
// "steps"; a queue that cannot be reached is apperr.Unavailable, and the run
// is then recorded as failed rather than left queued forever.
func (r *Runs) Start(ctx context.Context, steps []string, requestedBy string) (RunStatus, error) {
	known := r.Job.StepNames()
	if len(steps) == 0 {
		return RunStatus{}, &apperr.ParamError{Param: "steps", Reason: fmt.Sprintf("name at least one of %v", known)}
	}
	var ordered []string
	for _, k := range known {
		if slices.Contains(steps, k) {
			ordered = append(ordered, k)
		}
	}
	for _, s := range steps {
		if !slices.Contains(known, s) {
			return RunStatus{}, &apperr.ParamError{Param: "steps", Reason: fmt.Sprintf("unknown step %q (known: %v)", s, known)}
		}
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	now := r.now()
	req := RunRequest{ID: now.Format("20060102T150405Z") + "-" + hex.EncodeToString(rnd[:]), Steps: ordered, RequestedBy: requestedBy, RequestedAt: now}
	st := RunStatus{RunRequest: req, Status: RunQueued, UpdatedAt: now}
	if err := r.put(ctx, st); err != nil {
		return RunStatus{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return RunStatus{}, err
	}
	if err := r.Queue.Enqueue(ctx, body); err != nil {
		st.Status, st.Reason, st.UpdatedAt = RunFailed, "the request could not be queued", r.now()
		if perr := r.put(context.WithoutCancel(ctx), st); perr != nil {
			err = errors.Join(err, perr)
		}
		return RunStatus{}, fmt.Errorf("%w: queueing the maintenance run: %v", apperr.Unavailable, err)
	}
	return st, nil
}

// Get returns the status of run id: apperr.ParamError for a malformed id,
// apperr.NotFound for an unknown one.
func (r *Runs) Get(ctx context.Context, id string) (RunStatus, error) {
	if !runID.MatchString(id) {
		return RunStatus{}, &apperr.ParamError{Param: "id", Reason: "not a maintenance run id"}
	}
	body, err := r.Status.ReadReport(ctx, statusName(id))
	if err != nil {
		return RunStatus{}, err
	}
	var st RunStatus
	if err := json.Unmarshal(body, &st); err != nil {
		return RunStatus{}, fmt.Errorf("run %s: corrupt status document: %w", id, err)
	}
	return st, nil
}

func (r *Runs) put(ctx context.Context, st RunStatus) error {
	body, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return r.Status.WriteReport(ctx, statusName(st.ID), body)
}

// Func is the RunMaintenance queue function body (binding "request"). A run
// that fails or finds the lease held is recorded in its status and the
// message completes: a manual rebuild is never retried behind the admin's
// back (they see the outcome and may ask again). Only a malformed message or
// a status that cannot be written fails the invocation.
func (r *Runs) Func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
	var req RunRequest
	if err := inv.QueueMessage("request", &req); err != nil {
		return nil, err
	}
	if !runID.MatchString(req.ID) {
		return nil, fmt.Errorf("%w: run id %q", funchost.ErrMalformed, req.ID)
	}
	st := RunStatus{RunRequest: req, Status: RunRunning, UpdatedAt: r.now()}
	if err := r.put(ctx, st); err != nil {
		return nil, err
	}
	rep, err := r.Job.forInvocation(inv).RunSteps(ctx, "manual by "+req.RequestedBy+" (run "+req.ID+")", req.Steps)
	st.UpdatedAt = r.now()
	switch {
	case err == nil:
		st.Status, st.Report = RunSucceeded, &rep
	case errors.Is(err, apperr.Conflict) && len(rep.Steps) == 0:
		st.Status, st.Reason = RunSkipped, "another maintenance run holds the lease; ask again when it is done"
	default:
		st.Status, st.Reason, st.Report = RunFailed, err.Error(), &rep
	}
	inv.Logger.InfoContext(ctx, "manual maintenance run", slog.String("run", req.ID), slog.String("status", st.Status), slog.Any("steps", req.Steps))
	if perr := r.put(context.WithoutCancel(ctx), st); perr != nil {
		return nil, perr
	}
	return &funchost.InvokeResponse{Logs: []string{fmt.Sprintf("maintenance run %s: %s", req.ID, st.Status)}}, nil
}
