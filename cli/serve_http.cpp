#include "cli/serve_http.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "base/paths.h"
#include "cli/serve_api.h"
#include "cli/serve_guard.h"
#include "cli/web_assets.h"
#include "results/store.h"

namespace torchsweep {

namespace {

struct ServeOptions {
  std::string host = "127.0.0.1";  ///< --host: the address to listen on
  int port = 8050;                 ///< --port: 0 picks a free one
};

/// The file's size and modification time, and its -wal's: what changes whenever a
/// writer commits, read without opening the database (the page's "anything new?").
std::string database_version(const std::string& path) {
  std::string version;
  for (const std::string& file : {path, path + "-wal"}) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0)
      version += fmt::format("{}.{}.{}-", static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                             static_cast<long long>(st.st_mtim.tv_nsec));
    else
      version += "0-";
  }
  return version;
}

ApiParams params_of(const httplib::Request& request) {
  ApiParams params;
  for (const auto& [name, value] : request.params) params.emplace(name, value);  // the first of each name
  return params;
}

void send_json(httplib::Response& response, const nlohmann::json& body, int status = 200) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

int serve(const std::string& db_path, const ServeOptions& options, CliContext& context) {
  if (!is_regular_file(db_path)) throw InputError("--db " + db_path + ": no database there");
  // Read once now, so that a file that is no torchsweep database is refused before
  // anything listens.
  Store::read(db_path, [](Store&) {});
  if (options.port < 0 || options.port > 65535)
    throw InputError("--port: expected 0 (any free port) to 65535, got " + std::to_string(options.port));

  ServeAddress address;
  address.host = options.host;
  if (!is_loopback(options.host)) address.token = random_token();

  httplib::Server server;
  server.set_default_headers({{"Content-Security-Policy", "default-src 'self'"},
                              {"X-Content-Type-Options", "nosniff"},
                              {"X-Frame-Options", "DENY"},
                              {"Referrer-Policy", "no-referrer"},
                              {"Cache-Control", "no-store"}});
  server.set_pre_routing_handler([&address](const httplib::Request& request, httplib::Response& response) {
    const auto token = request.has_param("token") ? request.get_param_value("token") : std::string();
    const GuardVerdict verdict = check_request(address, request.method, request.get_header_value("Host"),
                                               request.get_header_value("Cookie"), token);
    if (verdict.status != 200) {
      response.status = verdict.status;
      if (verdict.status == 405) response.set_header("Allow", "GET");
      response.set_content(verdict.reason + "\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (verdict.set_cookie)
      response.set_header("Set-Cookie",
                          std::string(kTokenCookie) + "=" + address.token + "; Path=/; HttpOnly; SameSite=Strict");
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Each request reads the database afresh (Store::read: read-only, no file left beside
  // it), so that what a running sweep writes shows on the next request.
  auto api = [&server, db_path](const std::string& route,
                                std::function<nlohmann::json(Database&, const ApiParams&)> answer) {
    server.Get(route, [db_path, answer](const httplib::Request& request, httplib::Response& response) {
      const ApiParams params = params_of(request);
      try {
        nlohmann::json body;
        Store::read(db_path, [&](Store& store) { body = answer(store.db(), params); });
        send_json(response, body);
      } catch (const InputError& e) {
        send_json(response, error_json(e.what()), 400);
      } catch (const std::exception& e) {
        send_json(response, error_json(e.what()), 500);
      }
    });
  };
  api("/api/sweeps", [](Database& db, const ApiParams&) { return sweeps_json(db); });
  api("/api/runs", runs_json);
  api("/api/run", run_json);
  api("/api/curves", curves_json);
  api("/api/groups", groups_json);
  // Polled every few seconds by the page: answered without opening the database while
  // the file has not changed since the version the page holds.
  server.Get("/api/updates", [db_path](const httplib::Request& request, httplib::Response& response) {
    const ApiParams params = params_of(request);
    const std::string version = database_version(db_path);
    const auto held = params.find("version");
    if (held != params.end() && held->second == version) {
      send_json(response, {{"changed", false}, {"version", version}});
      return;
    }
    try {
      nlohmann::json body{{"runs", nlohmann::json::array()}};
      if (params.count("runs") && !params.at("runs").empty())
        Store::read(db_path, [&](Store& store) { body = updates_json(store.db(), params); });
      body["changed"] = true;
      body["version"] = version;
      send_json(response, body);
    } catch (const InputError& e) {
      send_json(response, error_json(e.what()), 400);
    } catch (const std::exception& e) {
      send_json(response, error_json(e.what()), 500);
    }
  });
  server.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& response) { response.status = 204; });
  server.Get(R"(/[a-z._]*)", [](const httplib::Request& request, httplib::Response& response) {
    const WebAsset* asset = find_web_asset(request.path == "/" ? "/index.html" : request.path);
    if (!asset) {
      response.status = 404;
      response.set_content("not found\n", "text/plain");
      return;
    }
    response.set_content(reinterpret_cast<const char*>(asset->data), asset->size,
                         std::string(asset->mime) + "; charset=utf-8");
  });

  const int port = options.port == 0 ? server.bind_to_any_port(options.host)
                                     : (server.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port < 0)
    throw InputError(fmt::format("--host {} --port {}: cannot listen there (in use, or not an address of this machine)",
                                 options.host, options.port));
  address.port = port;
  char hostname[256] = "localhost";
  ::gethostname(hostname, sizeof hostname - 1);
  context.out << fmt::format("serving {} at {}\n", db_path, serve_url(address, hostname));
  if (!address.token.empty())
    context.out << "this address is reachable from other machines: the link carries its token; keep it private\n";
  context.out << "Ctrl-C stops\n";
  context.out.flush();
  return server.listen_after_bind() ? 0 : 1;
}

}  // namespace

void add_serve_command(CLI::App& results, CliContext& context, Commands& commands) {
  auto options = std::make_shared<ServeOptions>();
  auto* serve_cmd = results.add_subcommand("serve", "a live dashboard in the browser: runs, curves, groups with bands");
  add_db_option(serve_cmd, context);
  serve_cmd->add_option("--host", options->host,
                        "the address to listen on (default 127.0.0.1; another address asks for a token)");
  serve_cmd->add_option("--port", options->port, "the port (default 8050; 0 picks a free one)");
  commands.add(serve_cmd, [options, &context] { return serve(context.db_path, *options, context); });
}

}  // namespace torchsweep
