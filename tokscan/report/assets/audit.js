"use strict";
// Draws the keys and repositories tables of a tokscan audit report from the JSON block
// #audit-data, and makes them sortable and filterable. Text from the report only ever
// becomes text nodes (append, textContent), never markup: a repository's name may look
// like a tag.
(() => {
  const data = JSON.parse(document.getElementById("audit-data").textContent);
  const RANK = { live: 0, unknown: 1, unverified: 2, revoked: 3, failed: 0, reused: 1, scanned: 2 };

  function node(tag, className, ...children) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    element.append(...children);
    return element;
  }

  function badge(status) {
    return node("span", "status status-" + (status in RANK ? status : "other"), status);
  }

  function plural(count, one, many = one + "s") {
    return `${count} ${count === 1 ? one : many}`;
  }

  function day(date) {
    return date ? date.slice(0, 10) : "";
  }

  function size(bytes) {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
  }

  function place(where) {
    const line = where.line === null ? "" : `:${where.line}`;
    const what = where.path === null ? "commit message" : `${where.path}${line}`;
    const commit = where.commit ? where.commit.slice(0, 12) : "";
    return node("li", "", node("span", "mono", what), " in ", where.repository,
      node("div", "small", [commit, day(where.date), where.author].filter(Boolean).join(" · ")));
  }

  function keyRow(key) {
    const first = key.first;
    const repos = key.repositories;
    const shownRepos = repos.slice(0, 3).join(", ") + (repos.length > 3 ? ` +${repos.length - 3} more` : "");
    const code = node("code", "", key.key);
    code.title = key.fingerprint;
    const row = node("tr", "",
      node("td", "", code),
      node("td", "", badge(key.status), key.detail ? node("div", "small", key.detail) : ""),
      node("td", "", node("span", "", String(repos.length)), node("div", "small", shownRepos)),
      node("td", "", day(first.date), node("div", "small",
        [first.author, first.repository].filter(Boolean).join(" · "))),
      node("td", "", node("details", "",
        node("summary", "", plural(key.places.length, "place")),
        node("ul", "", ...key.places.map(place)))),
      node("td", "advice", key.advice));
    const text = [key.key, key.fingerprint, key.status, key.detail, key.advice, first.author,
      ...repos, ...key.places.flatMap((p) => [p.path, p.commit, p.author, p.repository])];
    return {
      row, status: key.status, text: text.filter(Boolean).join("\n").toLowerCase(),
      sort: { key: key.key.toLowerCase(), status: RANK[key.status] ?? 9, repositories: repos.length,
        first: first.date || "", places: key.places.length },
    };
  }

  function repositoryRow(repo) {
    const name = node("td", "", repo.name);
    if (repo.url && repo.url !== repo.name) name.append(node("div", "small", repo.url));
    const row = node("tr", "", name, node("td", "", badge(repo.status)),
      node("td", "", repo.reason || ""), node("td", "number", String(repo.findings)),
      node("td", "number", size(repo.bytes)));
    return {
      row, status: repo.status,
      text: [repo.name, repo.url, repo.status, repo.reason].filter(Boolean).join("\n").toLowerCase(),
      sort: { name: repo.name.toLowerCase(), status: RANK[repo.status] ?? 9, reason: repo.reason || "",
        findings: repo.findings, bytes: repo.bytes },
    };
  }

  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b));
  }

  function table(id, items, makeRow, noun) {
    const section = document.getElementById(id);
    const body = section.querySelector("tbody");
    const filter = section.querySelector("input[type=search]");
    const status = section.querySelector("select");
    const count = section.querySelector(".count");
    const rows = items.map(makeRow);
    rows.forEach((row, index) => { row.index = index; });
    body.append(...rows.map((r) => r.row));

    function apply() {
      const terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      const wanted = status.value;
      let shown = 0;
      for (const r of rows) {
        const visible = (!wanted || r.status === wanted) && terms.every((t) => r.text.includes(t));
        r.row.hidden = !visible;
        if (visible) shown += 1;
      }
      count.textContent = `${shown} of ${plural(rows.length, ...noun)}`;
    }

    for (const header of section.querySelectorAll("th[data-sort]")) {
      header.querySelector("button").addEventListener("click", () => {
        const column = header.dataset.sort;
        const ascending = header.getAttribute("aria-sort") !== "ascending";
        for (const other of section.querySelectorAll("th[data-sort]")) other.removeAttribute("aria-sort");
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const sign = ascending ? 1 : -1;
        const sorted = rows.slice().sort((a, b) =>
          sign * compare(a.sort[column], b.sort[column]) || a.index - b.index);
        body.append(...sorted.map((r) => r.row));
      });
    }
    filter.addEventListener("input", apply);
    status.addEventListener("change", apply);
    apply();
  }

  table("keys", data.keys, keyRow, ["key"]);
  table("repositories", data.repositories, repositoryRow, ["repository", "repositories"]);
  document.body.classList.add("ready");
})();
