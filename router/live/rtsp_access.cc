#include "router/live/rtsp_access.h"

#include <gst/rtsp-server/rtsp-server.h>

#include "proto/camera/camera_id.h"
#include "router/desk/user_store.h"

namespace xl::router {

void RtspAccess::SetUsers(std::map<std::string, std::string> regions) {
  std::lock_guard lock(mu_);
  user_regions_ = std::move(regions);
}

void RtspAccess::SetCameras(std::map<std::string, std::string> regions) {
  std::lock_guard lock(mu_);
  camera_regions_ = std::move(regions);
}

bool RtspAccess::Sees(const std::string& user, const std::string& camera) const {
  std::lock_guard lock(mu_);
  auto u = user_regions_.find(user);
  auto c = camera_regions_.find(camera);
  return u != user_regions_.end() && c != camera_regions_.end() && RegionMatches(u->second, c->second, camera);
}

}  // namespace xl::router

// The GObject subclass (plain C layout; GObject zero-fills it, so the C++ state is a pointer).
extern "C" {
struct XlRtspAuth {
  GstRTSPAuth parent;
  std::shared_ptr<const xl::router::RtspAccess>* access;
};
struct XlRtspAuthClass {
  GstRTSPAuthClass parent_class;
};
}

G_DEFINE_TYPE(XlRtspAuth, xl_rtsp_auth, GST_TYPE_RTSP_AUTH)

namespace {

// The camera of a request path: "/<camera>" or "/<camera>/stream=0".
std::string CameraOf(const GstRTSPUrl* uri) {
  std::string path = uri && uri->abspath ? uri->abspath : "";
  const size_t start = path.find_first_not_of('/');
  if (start == std::string::npos) return "";
  path = path.substr(start);
  return path.substr(0, path.find('/'));
}

gboolean Check(GstRTSPAuth* auth, GstRTSPContext* ctx, const gchar* check) {
  if (!GST_RTSP_AUTH_CLASS(xl_rtsp_auth_parent_class)->check(auth, ctx, check)) return FALSE;
  if (!g_str_equal(check, GST_RTSP_AUTH_CHECK_MEDIA_FACTORY_ACCESS)) return TRUE;
  // The parent checked the login and the "viewer" role: a token with our user is set.
  const gchar* user = ctx->token ? gst_rtsp_token_get_string(ctx->token, "xl.user") : nullptr;
  if (user && ctx->client) g_object_set_data_full(G_OBJECT(ctx->client), "xl-user", g_strdup(user), g_free);
  const auto& access = *reinterpret_cast<XlRtspAuth*>(auth)->access;
  if (user && access->Sees(user, CameraOf(ctx->uri))) return TRUE;
  gst_rtsp_message_init_response(ctx->response, GST_RTSP_STS_NOT_FOUND, gst_rtsp_status_as_text(GST_RTSP_STS_NOT_FOUND),
                                 ctx->request);
  gst_rtsp_client_send_message(ctx->client, ctx->session, ctx->response);
  return FALSE;
}

}  // namespace

static void xl_rtsp_auth_init(XlRtspAuth*) {}

static void xl_rtsp_auth_class_init(XlRtspAuthClass* klass) {
  GST_RTSP_AUTH_CLASS(klass)->check = Check;
  G_OBJECT_CLASS(klass)->finalize = [](GObject* object) {
    delete reinterpret_cast<XlRtspAuth*>(object)->access;
    G_OBJECT_CLASS(xl_rtsp_auth_parent_class)->finalize(object);
  };
}

namespace xl::router {

GstRTSPAuth* NewRtspAuth(std::shared_ptr<const RtspAccess> access) {
  auto* auth = static_cast<XlRtspAuth*>(g_object_new(xl_rtsp_auth_get_type(), nullptr));
  auth->access = new std::shared_ptr<const RtspAccess>(std::move(access));
  gst_rtsp_auth_set_supported_methods(&auth->parent, GST_RTSP_AUTH_DIGEST);
  gst_rtsp_auth_set_realm(&auth->parent, kRtspRealm);
  return &auth->parent;
}

}  // namespace xl::router
