// The link up to this router's parent — a child router's side of the cascade (village → town
// → county): one CURVE connection (DEALER) to the parent's children endpoint, carrying this
// router's alert log up by acknowledged delivery (proto/wire/delivery/).
//
// The alert log is the outbox: every alert is stored here first; the parent keeps a mark (the
// last sequence of this log it has committed) and answers every hello with it, so after the
// link was down for hours, or either router restarted, sending goes on from the mark —
// nothing lost, nothing twice, in log order (hence in order per camera). Alerts the parent
// refuses (outside the region prefix it lets this router speak for) are acknowledged by it,
// counted and logged here.
//
// Handling steps go both ways (router/cascade/step_relay.h): those taken here or below go up,
// those the parent (or above it) took on this router's alerts come down and are kept here.
//
// The catalog (this router's cameras with their states, and those of its own children) goes
// up too: complete when the link comes up, when the parent asks and every few minutes, and in
// between only what changed, compared once a second with what was sent.
//
// Clips of this router's events go up when the parent asks, in parts on the video connection
// (router/cascade/clip_parts.h).
//
// Live video of the cameras the parent watches goes up on a second connection
// (router/cascade/video_up.h); the parent's wanted set lapses when the link is down or the
// parent has not repeated it for `watch_lapse_ms`.
//
// Thread: the router's one loop thread only (router/router.h): poll socket(), call
// OnReadable when it is readable and Pump every loop turn.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "common/status.h"
#include "proto/wire/curve.h"
#include "proto/wire/wire.h"
#include "router/alerts/alert_log.h"
#include "router/cascade/clip_parts.h"
#include "router/cascade/step_relay.h"
#include "router/cascade/video_up.h"
#include "router/desk/alert_desk.h"

namespace xl::router {

struct ParentLinkConfig {
  std::string endpoint;             // the parent's children endpoint, "tcp://HOST:PORT"; "": no parent
  std::string parent_key;           // the parent router's public key (40 Z85 characters or its key file)
  size_t window = 64;               // alerts sent and not yet acknowledged, at most
  int64_t resend_after_ms = 10000;  // nothing acknowledged this long: send again from the mark
  int64_t down_after_ms = 10000;    // no answer this long: the link is down
  int64_t hello_every_ms = 1000;
  int64_t catalog_every_ms = 5 * 60 * 1000;  // a complete catalog at least this often
  int64_t catalog_diff_ms = 1000;            // changes are looked for this often
  int video_queue = 50;                      // frames queued for the video connection, at most
  int64_t watch_lapse_ms = 10000;            // the parent's wanted set, unless said again
};

class ParentLink {
 public:
  // Connects (in the background: ZeroMQ reconnects by itself) with this router's key pair.
  // Error when the parent's key is not a key.
  // `relay` (this router's live video) must outlive the link.
  static Result<std::unique_ptr<ParentLink>> Connect(zmq::context_t& ctx, const ParentLinkConfig& config,
                                                     const CurveKeyPair& own, AlertLog& log, AlertDesk& desk,
                                                     LiveRelay& relay);

  // What the catalog holds now: every camera, with only what the parent shows (no health
  // figures that change with every report). Called from Pump.
  void SetCatalog(std::function<std::vector<wire::Camera>()> catalog) { catalog_ = std::move(catalog); }
  // The live video on the links below this router (router/cascade/child_links.h Loads()), told
  // the parent with every hello so it refuses a stream one of them has no room for.
  void SetLinkLoads(std::function<std::vector<wire::LinkLoad>()> loads) { loads_ = std::move(loads); }
  // Where the parent's PTZ commands go (LinkDown.ptz): only for cameras of the catalog sent up;
  // what fails is logged here (the parent's user was told it was sent).
  void SetPtz(std::function<Status(const wire::PtzCommand&)> ptz) { ptz_ = std::move(ptz); }

  // Where the parent's clip requests go (LinkDown.clip_request): the clip of one of this
  // router's events (here or below), passed to `done` once; it goes up in parts.
  void SetClip(std::function<void(const std::string& event_id, ClipDone done)> clip) { clip_ = std::move(clip); }

  zmq::socket_t& socket() { return socket_; }
  // Takes the parent's acknowledgements and refusals.
  void OnReadable(int64_t now_ms);
  // Says hello when due, notices a silent parent, and sends the logged alerts that are due.
  void Pump(int64_t now_ms);

  enum class State { kConnecting, kUp, kDown };
  static const char* StateName(State state);  // "connecting", "up", "down"
  struct Stats {
    State state = State::kConnecting;
    uint64_t acked = 0;            // the parent has this log up to here (0: nothing yet, or not known)
    uint64_t lag = 0;              // alerts logged here that the parent does not have yet
    uint64_t sent = 0;             // alerts sent (again ones included)
    uint64_t resends = 0;          // times sending went back to the parent's mark
    uint64_t refused = 0;          // alerts (or catalog messages) the parent would not keep
    uint64_t catalog_cameras = 0;  // cameras in the catalog as last sent
    size_t live_streams = 0;       // cameras the parent watches now
    VideoUp::Stats video;          // live video sent up
  };
  Stats stats() const;
  // Handling steps the parent sent that are new here (the desks are told), since the last call.
  std::vector<LoggedStep> TakeArrivedSteps() { return std::exchange(arrived_, {}); }
  const std::string& endpoint() const { return config_.endpoint; }
  // When the link went to its current state (monotonic ms).
  int64_t since_ms() const { return since_ms_; }

 private:
  ParentLink(zmq::context_t& ctx, const ParentLinkConfig& config, AlertLog& log, AlertDesk& desk);
  // Connects `s` (a DEALER) to the parent as this router; Error when the endpoint is bad.
  Status ConnectSocket(zmq::socket_t& s, const CurveClientKeys& keys, int sndhwm);
  // Keeps a run of the parent's handling steps and acknowledges it.
  void OnSteps(const wire::HandlingSteps& run, int64_t now_ms);
  void OnPtz(const wire::PtzCommand& command);
  void OnClipRequest(const wire::ClipRequest& request);
  bool Send(const wire::LinkUp& up) { return bool(socket_.send(ToFrame(up), zmq::send_flags::dontwait)); }
  void SetState(State state, int64_t now_ms, const std::string& why);
  void OnAck(uint64_t stream, uint64_t seq, int64_t now_ms);
  void SendDue(int64_t now_ms);
  // Sends the catalog: complete, or what changed since it was last sent.
  void SendCatalog(int64_t now_ms, bool complete);

  const ParentLinkConfig config_;
  AlertLog& log_;
  AlertDesk& desk_;
  zmq::socket_t socket_;
  State state_ = State::kConnecting;
  int64_t since_ms_ = 0;
  int64_t heard_ms_ = 0;            // the parent's last answer
  int64_t hello_ms_ = -1;           // the last hello sent
  bool mark_known_ = false;         // the parent has told its mark since the link (re)started
  uint64_t acked_ = 0;              // the parent's mark of this log
  uint64_t last_sent_ = 0;          // sending goes on after this sequence
  std::deque<uint64_t> in_flight_;  // sent and not yet acknowledged, in order
  int64_t progress_ms_ = 0;         // the last acknowledgement that moved the mark, or the first send after it
  int64_t refusal_logged_ms_ = -1;
  std::function<std::vector<wire::Camera>()> catalog_;
  std::function<std::vector<wire::LinkLoad>()> loads_;
  std::function<Status(const wire::PtzCommand&)> ptz_;
  std::map<std::string, std::string> catalog_sent_;  // camera → its entry as the parent has it (serialized)
  bool catalog_wanted_ = true;                       // a complete catalog is due
  int64_t catalog_complete_ms_ = -1, catalog_diff_ms_ = -1;
  Stats counts_;
  StepSender steps_;
  delivery::Mark steps_mark_;  // how far this router has the parent's steps
  std::vector<LoggedStep> arrived_;
  std::unique_ptr<VideoUp> video_;
  int64_t watch_heard_ms_ = -1;  // the parent's last wanted set
  std::function<void(const std::string&, ClipDone)> clip_;
  std::deque<wire::LinkUp> clip_out_;                      // clip parts waiting for the video connection
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // clip answers that come after this link is gone see it
};

}  // namespace xl::router
