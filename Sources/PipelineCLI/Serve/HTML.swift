import Foundation
import PipelineCore

/// Server-rendered HTML: every user-controlled string goes through `escape`, and the page's one
/// stylesheet and script are served by the binary (no external assets).
enum HTML {
    /// Escapes text for an HTML element or a quoted attribute.
    static func escape(_ text: String) -> String { Markup.escape(text) }

    /// Percent-encodes a query value or a path segment.
    static func urlEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? ""
    }

    static func page(title: String, body: String, script: Bool = false) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · pipeline</title><link rel="stylesheet" href="/static/style.css"></head>
        <body><header><a class="brand" href="/runs">pipeline</a> <a href="/runs">runs</a></header>
        <main>\(body)</main>\(script ? "<script src=\"/static/app.js\"></script>" : "")</body></html>
        """
    }

    static func status(_ status: String) -> String {
        "<span class=\"status s-\(escape(status))\">\(escape(status.replacingOccurrences(of: "_", with: " ")))</span>"
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "" }
        return "<time datetime=\"\(Timestamp.precise(date))\">\(escape(Terminal.timestamp(date)))</time>"
    }

    static let stylesheet = """
        :root { --ok: #1a7f37; --bad: #cf222e; --run: #0969da; --wait: #9a6700; --mute: #6e7781; }
        body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
        header { background: #24292f; color: #fff; padding: 10px 20px; }
        header a { color: #fff; margin-right: 14px; text-decoration: none; } .brand { font-weight: 700; }
        main { padding: 16px 20px; max-width: 1200px; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #d0d7de; vertical-align: top; }
        .status { padding: 1px 7px; border-radius: 10px; color: #fff; background: var(--mute); font-size: 12px; }
        .s-succeeded { background: var(--ok); } .s-failed, .s-rolled_back, .s-timed_out, .s-interrupted { background: var(--bad); }
        .s-running { background: var(--run); } .s-waiting { background: var(--wait); }
        .quarantined { color: var(--bad); font-weight: 600; }
        form.filters { margin-bottom: 12px; } form.filters input, form.filters select { margin-right: 8px; }
        .timeline { background: #fff; border: 1px solid #d0d7de; padding: 8px; margin: 12px 0; }
        .row { display: flex; align-items: center; height: 24px; }
        .row .label { width: 180px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .track { flex: 1; height: 16px; background: #eaeef2; }
        .bar { fill: var(--mute); stroke: var(--mute); stroke-width: 3px; }
        .bar.succeeded { fill: var(--ok); stroke: var(--ok); } .bar.failed, .bar.timed_out { fill: var(--bad); stroke: var(--bad); }
        .bar.running { fill: var(--run); stroke: var(--run); } .bar.waiting { fill: var(--wait); stroke: var(--wait); }
        .section { font-weight: 600; margin-top: 8px; }
        pre { background: #fff; border: 1px solid #d0d7de; padding: 8px; overflow: auto; max-height: 420px; }
        .diff-add { color: var(--ok); } .diff-del { color: var(--bad); }
        .error { color: var(--bad); font-weight: 600; }
        .actions form { display: inline; } .actions button { margin-right: 6px; }
        """

    static let script = """
        (function () {
          var el = document.querySelector('[data-live]');
          if (!el || !window.EventSource) return;
          var source = new EventSource(el.getAttribute('data-live'));
          source.addEventListener('log', function (e) {
            var msg = JSON.parse(e.data);
            var pre = document.getElementById('log-' + msg.stage);
            if (pre) { pre.appendChild(document.createTextNode(msg.line + '\\n')); }
          });
          source.addEventListener('end', function () { source.close(); window.location.reload(); });
          source.addEventListener('status', function (e) {
            var s = document.getElementById('run-status');
            if (s) { s.textContent = JSON.parse(e.data).status; }
          });
        })();
        """
}
