#include "router/live/rtsp_out.h"

#include <glib/gstdio.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <spdlog/spdlog.h>

#include <set>

#include "common/clock.h"

namespace xl::router {

namespace {
constexpr guint64 kMaxQueuedBytes = 8 << 20;  // a player this far behind skips to a keyframe

struct FactoryData {
  RtspOut* out;
  std::string camera;
};

// Runs `fn` on the loop thread (signals of gst-rtsp-server may come from its own threads).
template <typename Fn>
void OnLoop(Fn fn) {
  auto* heap = new Fn(std::move(fn));
  g_main_context_invoke_full(
      nullptr, G_PRIORITY_DEFAULT,
      [](gpointer p) -> gboolean {
        (*static_cast<Fn*>(p))();
        return G_SOURCE_REMOVE;
      },
      heap, [](gpointer p) { delete static_cast<Fn*>(p); });
}
}  // namespace

// One shared media's appsrc, as a relay viewer.
class RtspOut::Feed : public LiveViewer {
 public:
  explicit Feed(GstElement* appsrc) : appsrc_(appsrc) {}
  ~Feed() override { gst_object_unref(appsrc_); }
  bool Offer(const LiveFramePtr& frame) override {
    if (gst_app_src_get_current_level_bytes(GST_APP_SRC(appsrc_)) > kMaxQueuedBytes) return false;
    const std::string& data = frame->video.data();
    // Zero copy: the buffer holds a reference to the shared frame.
    GstBuffer* buf = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, const_cast<char*>(data.data()), data.size(),
                                                 0, data.size(), new LiveFramePtr(frame),
                                                 [](gpointer p) { delete static_cast<LiveFramePtr*>(p); });
    if (!frame->video.keyframe()) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    return gst_app_src_push_buffer(GST_APP_SRC(appsrc_), buf) == GST_FLOW_OK;
  }

 private:
  GstElement* appsrc_;
};

RtspOut::RtspOut(LiveRelay& relay, Visible visible) : relay_(relay), visible_(std::move(visible)) {}

Result<std::unique_ptr<RtspOut>> RtspOut::Start(const RtspOutConfig& config, LiveRelay& relay, Visible visible) {
  std::unique_ptr<RtspOut> out(new RtspOut(relay, std::move(visible)));
  GError* err = nullptr;
  gchar* dir = g_dir_make_tmp("xl-rtsp-XXXXXX", &err);  // mode 0700
  if (!dir) {
    std::string msg = err ? err->message : "unknown error";
    g_clear_error(&err);
    return Error{"RTSP: cannot make a private temporary folder: " + msg};
  }
  out->digest_dir_ = dir;
  g_free(dir);
  out->server_ = gst_rtsp_server_new();
  gst_rtsp_server_set_address(out->server_, config.address.c_str());
  gst_rtsp_server_set_service(out->server_, std::to_string(config.port).c_str());
  out->mounts_ = gst_rtsp_server_get_mount_points(out->server_);
  GstRTSPAuth* auth = gst_rtsp_auth_new();
  gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_DIGEST);
  gst_rtsp_auth_set_realm(auth, kRtspRealm);
  gst_rtsp_server_set_auth(out->server_, auth);
  g_object_unref(auth);
  // Every request for a stream is checked against the logged-in user's region.
  g_signal_connect(out->server_, "client-connected",
                   G_CALLBACK(+[](GstRTSPServer*, GstRTSPClient* client, gpointer self) {
                     for (const char* signal : {"pre-describe-request", "pre-setup-request", "pre-play-request"}) {
                       g_signal_connect(client, signal, G_CALLBACK(&RtspOut::CheckRequest), self);
                     }
                   }),
                   out.get());
  out->source_ = gst_rtsp_server_attach(out->server_, nullptr);
  if (!out->source_) return Error{"cannot listen for RTSP on " + config.address + ":" + std::to_string(config.port)};
  out->port_ = gst_rtsp_server_get_bound_port(out->server_);
  return out;
}

int RtspOut::CheckRequest(void* raw_client, void* raw_ctx, void* self) {
  auto* out = static_cast<RtspOut*>(self);
  auto* ctx = static_cast<GstRTSPContext*>(raw_ctx);
  // Not logged in: the factory's permissions answer 401 with a challenge.
  const gchar* user = ctx->token ? gst_rtsp_token_get_string(ctx->token, "xl.user") : nullptr;
  if (!user || !ctx->uri || !ctx->uri->abspath) return GST_RTSP_STS_OK;
  auto login = out->logins_.find(user);
  if (login == out->logins_.end()) return GST_RTSP_STS_UNAUTHORIZED;
  g_object_set_data_full(G_OBJECT(raw_client), "xl-user", g_strdup(user), g_free);
  std::string camera = ctx->uri->abspath;  // "/<camera>" or "/<camera>/stream=0"
  camera = camera.substr(camera.find_first_not_of('/') == std::string::npos ? camera.size() : 1);
  camera = camera.substr(0, camera.find('/'));
  if (!out->visible_(login->second.region, camera)) return GST_RTSP_STS_NOT_FOUND;
  return GST_RTSP_STS_OK;
}

void RtspOut::SetLogins(const std::vector<UserStore::RtspLogin>& logins) {
  GstRTSPAuth* auth = gst_rtsp_server_get_auth(server_);
  std::map<std::string, UserStore::RtspLogin> next;
  for (const auto& l : logins) next[l.name] = l;
  std::set<std::string> gone;  // users whose players must log in again, or not at all
  for (const auto& [name, old] : logins_) {
    auto it = next.find(name);
    if (it == next.end() || it->second.ha1 != old.ha1 || it->second.region != old.region) {
      gone.insert(name);
      gst_rtsp_auth_remove_digest(auth, name.c_str());
    }
  }
  const std::string file = digest_dir_ + "/htdigest";
  for (const auto& [name, l] : next) {
    auto was = logins_.find(name);
    if (was != logins_.end() && !gone.count(name)) continue;
    // gst-rtsp-server takes a stored HA1 only from an htdigest file; one line per user, so
    // each gets a token naming them.
    if (!g_file_set_contents(file.c_str(), (name + ":" + kRtspRealm + ":" + l.ha1 + "\n").c_str(), -1, nullptr)) {
      spdlog::error("RTSP: cannot write {}: user {} cannot log in", file, name);
      continue;
    }
    GstRTSPToken* token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "viewer", "xl.user",
                                             G_TYPE_STRING, name.c_str(), nullptr);
    if (!gst_rtsp_auth_parse_htdigest(auth, file.c_str(), token)) spdlog::error("RTSP: cannot load user {}", name);
    gst_rtsp_token_unref(token);
    g_unlink(file.c_str());
  }
  logins_ = std::move(next);
  g_object_unref(auth);
  if (gone.empty()) return;
  gst_rtsp_server_client_filter(
      server_,
      [](GstRTSPServer*, GstRTSPClient* client, gpointer data) {
        const auto* user = static_cast<const gchar*>(g_object_get_data(G_OBJECT(client), "xl-user"));
        return user && static_cast<std::set<std::string>*>(data)->count(user) ? GST_RTSP_FILTER_REMOVE
                                                                              : GST_RTSP_FILTER_KEEP;
      },
      &gone);
  for (const std::string& name : gone) spdlog::info("RTSP: players of user {} disconnected (user changed)", name);
}

RtspOut::~RtspOut() {
  if (!digest_dir_.empty()) g_rmdir(digest_dir_.c_str());
  for (auto& [media, feed] : feeds_) relay_.Remove(feed.get(), 0);
  if (source_) g_source_remove(source_);
  if (mounts_) g_object_unref(mounts_);
  if (server_) g_object_unref(server_);
}

void RtspOut::Mount(const std::string& camera, const std::string& codec) {
  auto it = mounted_.find(camera);
  if (it != mounted_.end() && it->second == codec) return;
  const std::string path = "/" + camera;
  if (it != mounted_.end()) {
    gst_rtsp_mount_points_remove_factory(mounts_, path.c_str());
    mounted_.erase(it);
  }
  if (codec != "h264" && codec != "h265") return;
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  const std::string launch = std::string("( appsrc name=src is-live=true do-timestamp=true format=time caps=") +
                             (codec == "h265" ? "video/x-h265,stream-format=byte-stream,alignment=au ! h265parse "
                                                "config-interval=-1 ! rtph265pay"
                                              : "video/x-h264,stream-format=byte-stream,alignment=au ! h264parse "
                                                "config-interval=-1 ! rtph264pay") +
                             // Parameter sets from the parser, once per keyframe: the 1.22
                             // payloader would put them before every slice of a keyframe,
                             // splitting multi-slice pictures in two for every player.
                             " name=pay0 pt=96 config-interval=0 )";
  gst_rtsp_media_factory_set_launch(factory, launch.c_str());
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  gst_rtsp_media_factory_add_role(factory, "viewer", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
                                  GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, nullptr);
  g_signal_connect_data(
      factory, "media-constructed", G_CALLBACK(+[](GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer p) {
        auto* d = static_cast<FactoryData*>(p);
        g_object_ref(media);
        OnLoop([out = d->out, camera = d->camera, media] {
          out->OnMediaConstructed(camera, media);
          g_object_unref(media);
        });
      }),
      new FactoryData{this, camera}, [](gpointer p, GClosure*) { delete static_cast<FactoryData*>(p); },
      GConnectFlags(0));
  gst_rtsp_mount_points_add_factory(mounts_, path.c_str(), factory);
  mounted_[camera] = codec;
}

void RtspOut::OnMediaConstructed(const std::string& camera, void* raw) {
  auto* media = static_cast<GstRTSPMedia*>(raw);
  GstElement* element = gst_rtsp_media_get_element(media);
  GstElement* appsrc = gst_bin_get_by_name_recurse_up(GST_BIN(element), "src");
  gst_object_unref(element);
  if (!appsrc) return;
  g_object_set(appsrc, "max-bytes", guint64(kMaxQueuedBytes * 2), "block", FALSE, nullptr);
  auto feed = std::make_unique<Feed>(appsrc);
  relay_.Add(camera, feed.get(), "rtsp", MonotonicMs());
  feeds_[raw] = std::move(feed);
  g_signal_connect(media, "unprepared", G_CALLBACK(+[](GstRTSPMedia* m, gpointer p) {
                     g_object_ref(m);
                     OnLoop([out = static_cast<RtspOut*>(p), m] {
                       out->OnMediaGone(m);
                       g_object_unref(m);
                     });
                   }),
                   this);
}

void RtspOut::OnMediaGone(void* media) {
  auto it = feeds_.find(media);
  if (it == feeds_.end()) return;
  relay_.Remove(it->second.get(), MonotonicMs());
  feeds_.erase(it);
}

}  // namespace xl::router
