"""`jippnas` command line (design §4)."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date
from importlib import resources
from pathlib import Path

from catalog.services import Identity
from search_api.config import get_settings
from search_api.runtime import Runtime

SAMPLE_FILES = ("kipp.json", "iga.csv", "inolan.jsonl", "canonical.jsonl")
MAX_PRINTED_REJECTS = 50


def sample_paths() -> list[Path]:
    folder = resources.files("jippnas").joinpath("sample")
    return [Path(str(folder.joinpath(name))) for name in SAMPLE_FILES]


def _indexer(rt: Runtime, quiet: bool = False):
    from indexer.pipeline import Indexer

    return Indexer.for_runtime(rt, show_progress=not quiet)


def cmd_index(args) -> int:
    rt = Runtime(get_settings())
    indexer = _indexer(rt, args.quiet)
    indexer.identity = _operator(args)
    report = indexer.import_files([Path(p) for p in args.paths], args.format)
    for reject in report.rejects[:MAX_PRINTED_REJECTS]:
        print(f"rejected: {reject.line()}", file=sys.stderr)
    if report.rejected > MAX_PRINTED_REJECTS:
        print(f"... and {report.rejected - MAX_PRINTED_REJECTS} more", file=sys.stderr)
    if report.rejects:
        path = Path(args.rejects) if args.rejects else rt.settings.data_dir / "rejects.csv"
        report.write_rejects(path)
        print(f"rejects report: {path}", file=sys.stderr)
    for name, stats in report.per_file.items():
        print(f"{name}: read {stats['read']}, accepted {stats['accepted']}, rejected {stats['rejected']}")
        for note in report.notes.get(name, []):
            print(f"{name}: {note}")
    print(report.summary())
    if report.replications:
        print(report.replication_summary())
        for r in report.replications:
            if r.resolved == "text":
                print(f"replication kept as text: {r.entry_id}: {r.text}")
    if report.read == 0:
        return 2
    return 1 if report.rejects else 0


def cmd_reindex(args) -> int:
    rt = Runtime(get_settings())
    embedded = _indexer(rt, args.quiet).reindex()
    print(f"reindexed {rt.engine.count()} documents from {rt.catalog.count()} catalog records "
          f"(embedded {embedded} texts)")
    return 0


def cmd_check(args) -> int:
    """Does the index agree with the catalog? Exit 0 if it does, 1 if not (after --fix: if
    problems are left)."""
    from search_api.consistency import check

    rt = Runtime(get_settings())
    result = check(lambda: rt.catalog, rt.engine, rt.settings.embed_model)
    if args.fix and not result.ok:
        _report(result, args.json, final=False)
        repairs = {p.repair for p in result.problems}
        if "orphans" in repairs:
            print(f"fix: removed {', '.join(rt.engine.remove_orphans()) or 'no'} orphan indices")
        indexer = _indexer(rt, args.quiet)
        if "reindex" in repairs:
            print(f"fix: reindexed (embedded {indexer.reindex()} texts)")
        elif "sync" in repairs:
            rt.catalog.reset_sync(rt.engine.key)  # every published innovation again (vectors come from the cache)
            print(f"fix: synced (embedded {indexer.sync()[0]} texts)")
        result = check(lambda: rt.catalog, rt.engine, rt.settings.embed_model)
    _report(result, args.json)
    rt.close()
    return 0 if result.ok else 1


def _report(result, as_json: bool, final: bool = True) -> None:
    if as_json and final:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    elif not as_json:
        print("\n".join(result.lines()))


def cmd_backup(args) -> int:
    from catalog.backup import BackupError, backup

    settings = get_settings()
    try:
        backup(settings.catalog_database_url, Path(args.path))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"catalog backed up to {args.path} ({Path(args.path).stat().st_size} bytes)")
    return 0


def cmd_restore(args) -> int:
    """Into an empty catalog, then the search index is rebuilt from it."""
    from catalog.backup import BackupError, restore

    settings = get_settings()
    try:
        restore(settings.catalog_database_url, Path(args.path))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rt = Runtime(settings)
    embedded = _indexer(rt, args.quiet).reindex()
    print(f"restored {rt.catalog.count()} entries from {args.path}; reindexed {rt.engine.count()} documents "
          f"(embedded {embedded} texts)")
    rt.close()
    return 0


def _operator(args) -> Identity:
    """Whoever runs the command line on the server holds the catalog's files: an admin,
    recorded under --by or the operating-system user."""
    return Identity(getattr(args, "by", None) or getpass.getuser(), frozenset({"admin"}), via="cli")


def _catalog_change(args, change) -> int:
    """Apply a steward's change through the catalog's services, then bring the index up to date."""
    from catalog.services import CatalogService
    from catalog.store import CatalogError

    rt = Runtime(get_settings())
    try:
        print(change(CatalogService(rt.catalog), _operator(args)))
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _indexer(rt, quiet=True).sync()
    return 0


def cmd_link(args) -> int:
    return _catalog_change(args, lambda svc, who: f"linked into {svc.link(who, args.ids, args.comment)}")


def cmd_unlink(args) -> int:
    return _catalog_change(args, lambda svc, who: f"{args.id} is now {svc.unlink(who, args.id, args.comment)}")


def cmd_withdraw(args) -> int:
    return _catalog_change(args, lambda svc, who: "withdrawn: " + (
        ", ".join(svc.withdraw(who, args.id, args.reason)) or "nothing (already withdrawn)"))


def _serve(host: str, port: int, workers: int = 1) -> None:
    """One process, or ``workers`` processes sharing the socket (uvicorn's supervisor, which
    restarts a worker that dies). Each worker builds its own app (``served_app``): its own
    engine reader, embedder, embedding slots, query-vector cache and, with memory://, rate
    counts; the embedded index is safe with several readers (each reloads on a commit) and
    writes take a lock shared by all processes."""
    import uvicorn

    from web.app import server_config

    if workers <= 1:
        uvicorn.Server(server_config(served_app(), host=host, port=port)).run()
        return
    from uvicorn.supervisors import Multiprocess

    config = server_config("jippnas.cli:served_app", factory=True, host=host, port=port, workers=workers)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def served_app():
    """The application as `jippnas serve` runs it, built in each worker process."""
    from indexer.exports import programme_exports
    from web.app import create_app

    return create_app(after_publish=publish_sync, programme_exports=programme_exports())


def publish_sync(rt: Runtime) -> None:
    """What the web runs after a publication: the indexer's outbox sync, so the innovation is
    searchable within seconds."""
    _indexer(rt, quiet=True).sync()


def _accounts_change(change) -> int:
    """Agencies, users and tokens, through the catalog's services as the local admin."""
    from catalog.regions import RegionError
    from catalog.services import CatalogService
    from catalog.store import CatalogError

    rt = Runtime(get_settings())
    try:
        print(change(CatalogService(rt.catalog), _operator(argparse.Namespace())))
    except (CatalogError, RegionError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        rt.close()
    return 0


def cmd_agency_add(args) -> int:
    def add(svc, who):
        agency_id, created = svc.add_agency(who, args.name, args.level, args.province, args.regency)
        if not created:
            print(f"an agency named {args.name!r} exists already: its id is", file=sys.stderr)
        return agency_id

    return _accounts_change(add)


def _read_password() -> str:
    """From standard input: the first line (a pipe), or typed twice without echo (a terminal)."""
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_user_add(args) -> int:
    needs = {"editor": ("agency", "an editor needs an agency (--agency ID)"),
             "curator": ("programme", "a curator needs a programme (--programme KIPP|IGA|InoLAN)")}.get(args.role)
    if needs and getattr(args, needs[0]) is None:  # before asking for a password
        print(f"error: {needs[1]}", file=sys.stderr)
        return 2

    def add(svc, who):
        user_id = svc.add_user(who, args.email, _read_password(), args.role, args.agency, args.programme)
        return f"user {user_id}: {args.email.strip().lower()} ({args.role})"

    return _accounts_change(add)


def cmd_token_create(args) -> int:
    def create(svc, who):
        token_id, token = svc.create_token(who, args.agency, args.label)
        print(f"token {token_id} for agency {args.agency}; it is shown only now, keep it safe:", file=sys.stderr)
        return token

    return _accounts_change(create)


def cmd_campaign_open(args) -> int:
    def open_(svc, who):
        found = svc.open_campaign(who, args.title, args.deadline, agency_ids=args.agency or None)
        return f"campaign {found.id}: {found.title!r}, deadline {found.deadline.isoformat()}, {found.size} innovations"

    return _accounts_change(open_)


def cmd_campaign_status(args) -> int:
    """The pemutakhiran figures: the headline and one line per agency, most outstanding first."""
    from catalog.updating import tally

    def status(svc, who):
        campaign = svc.updating.campaign(args.campaign)
        if args.campaign is not None and campaign is None:
            raise ValueError(f"no campaign with id {args.campaign}")
        totals, rows = tally(svc.updating.states(campaign))
        lines = [f"{campaign.title!r} (deadline {campaign.deadline.isoformat()})" if campaign else
                 "no campaign: every published innovation, 12-month rule",
                 f"{totals.outstanding} innovations from {sum(1 for r in rows if r.outstanding)} agencies still "
                 f"outstanding; {totals.current} current, {totals.stopped} stopped, {totals.incomplete} incomplete, "
                 f"of {totals.total}"]
        lines += [f"{r.outstanding:>6} outstanding  {r.total:>6} innovations  {r.agency}"
                  for r in rows if r.outstanding]
        return "\n".join(lines)

    return _accounts_change(status)


def cmd_serve(args) -> int:
    _serve(args.host, args.port, args.workers)
    return 0


def cmd_demo(args) -> int:
    rt = Runtime(get_settings())
    indexer = _indexer(rt)
    if rt.catalog.count() == 0:
        print("indexing the bundled sample (first run only; vectors are cached afterwards)")
        print(indexer.import_files(sample_paths()).summary())
    else:
        indexer.sync()  # finish an interrupted first run; a no-op otherwise
    print(f"JIPPNas Search: http://{args.host}:{args.port}/")
    _serve(args.host, args.port)
    return 0


def cmd_eval(args) -> int:
    from search_api.evaluation import compare, evaluate, load_judgments

    if args.compare:
        before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args.compare)
        print(f"{'mode':<10} {'kind':<12} {'queries':>7} {'before':>7} {'after':>7} {'diff':>7} {'p':>7}   (nDCG@10, "
              "paired randomisation test)")
        for row in compare(before, after):
            print(f"{row['mode']:<10} {row['kind']:<12} {row['queries']:>7} {row['before']:>7.4f} {row['after']:>7.4f} "
                  f"{row['diff']:>+7.4f} {row['p']:>7.4f}")
        return 0
    if not args.judgments:
        print("error: a judgments file (or --compare A.json B.json) is needed", file=sys.stderr)
        return 2
    rt = Runtime(get_settings())
    if not rt.engine.count():  # every metric would be 0: say why instead
        print(f"error: the search index ({rt.engine.key}) is empty: import the records first "
              "(`jippnas index PATH…`, e.g. the bundled sample in jippnas/sample/)", file=sys.stderr)
        return 2
    modes = ["hybrid", "keyword", "semantic"] if args.mode == "all" else [args.mode]
    results = evaluate(rt.service, load_judgments(Path(args.judgments), args.split), modes)
    if args.save:
        Path(args.save).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.json:
        print(json.dumps({mode: {k: v for k, v in m.items() if k != "per_query"} for mode, m in results.items()},
                         indent=2))
        return 0
    print(f"{'mode':<10} {'kind':<12} {'nDCG@10':>8} {'MRR@10':>8} {'R@20':>8} {'queries':>8}")
    for mode, m in results.items():
        for kind, k in [("all", m), *m["by_kind"].items()] if len(m["by_kind"]) > 1 else [("all", m)]:
            print(f"{mode:<10} {kind:<12} {k['ndcg@10']:>8.4f} {k['mrr@10']:>8.4f} {k['recall@20']:>8.4f} "
                  f"{k['queries']:>8}")
    return 0


def _source_name(value: str) -> str:
    """--format, checked against the crosswalk registry when parsed (so the environment counts)."""
    from indexer.sources import CrosswalkError, registry

    try:
        names = registry().names()
    except CrosswalkError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value != "auto" and value not in names:
        raise argparse.ArgumentTypeError(f"unknown source {value!r} (choose from auto, {', '.join(names)})")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jippnas", description="JIPPNas Search: index, serve, evaluate")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="import source files into the catalog and the search index")
    p.add_argument("paths", nargs="+")
    p.add_argument("--format", default="auto", type=_source_name, metavar="SOURCE",
                   help='"auto" (detect each file\'s source) or a source name from the crosswalks, '
                        "built in or in JIPPNAS_CROSSWALKS_DIR")
    p.add_argument("--rejects", help="where to write the rejects report (default: DATA_DIR/rejects.csv)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_index)

    for name, func, help_text in (("serve", cmd_serve, "serve the web pages and the JSON API"),
                                  ("demo", cmd_demo, "index the bundled sample if the catalog is empty, then serve")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.set_defaults(func=func, workers=1)
    sub.choices["serve"].add_argument("--workers", type=int, default=1, metavar="N",
                                      help="worker processes (default 1); see the README's Operations section")

    p = sub.add_parser("reindex", help="rebuild the search index from the catalog")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("check", help="does the search index agree with the catalog? (exit 1 if not)")
    p.add_argument("--fix", action="store_true", help="repair: sync what is missing, reindex on another schema or "
                                                      "model, remove orphan indices (not while a reindex runs)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar while fixing")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("backup", help="back up the catalog (SQLite: online backup; PostgreSQL: pg_dump)")
    p.add_argument("path", metavar="PATH", help="the backup file to write (must not exist)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a catalog backup into an empty catalog, then reindex")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("link", help="record that these entries or innovations are one innovation")
    p.add_argument("ids", nargs="+", metavar="ID", help="innovation or entry ids (two or more)")
    p.set_defaults(func=cmd_link)
    p = sub.add_parser("unlink", help="take an entry out of its innovation into one of its own")
    p.add_argument("id", metavar="ENTRY_ID")
    p.set_defaults(func=cmd_unlink)
    p = sub.add_parser("withdraw", help="take an entry (or every entry of an innovation) out of search")
    p.add_argument("id", metavar="ID")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_withdraw)
    for name in ("link", "unlink", "withdraw"):
        steward = sub.choices[name]
        steward.add_argument("--by", help="who decided (default: the operating-system user)")
        if name != "withdraw":
            steward.add_argument("--comment")

    agency = sub.add_parser("agency", help="agencies that enter innovations").add_subparsers(dest="what", required=True)
    p = agency.add_parser("add", help="add an agency (prints its id; an existing one of that name is reused)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--level", required=True, help="kementerian, lembaga, provinsi, kabupaten, kota, bumn, bumd, other")
    p.add_argument("--province")
    p.add_argument("--regency", help="kabupaten/kota (validated against the Kemendagri list)")
    p.set_defaults(func=cmd_agency_add)

    user = sub.add_parser("user", help="people who enter or review innovations").add_subparsers(dest="what", required=True)
    p = user.add_parser("add", help="add a user; the password is read from standard input")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--role", required=True, choices=["editor", "curator", "admin"])
    p.add_argument("--agency", type=int, metavar="ID", help="editors: their agency's id")
    p.add_argument("--programme", choices=["KIPP", "IGA", "InoLAN"], help="curators: the programme they review")
    p.set_defaults(func=cmd_user_add)

    token = sub.add_parser("token", help="API tokens (an editor of one agency)").add_subparsers(dest="what", required=True)
    p = token.add_parser("create", help="create a token for an agency; printed once, only its hash is kept")
    p.add_argument("--agency", type=int, required=True, metavar="ID")
    p.add_argument("--label", help="what the token is for")
    p.set_defaults(func=cmd_token_create)

    campaign = sub.add_parser("campaign", help="updating campaigns (pemutakhiran)").add_subparsers(dest="what",
                                                                                                required=True)
    p = campaign.add_parser("open", help="open a campaign over every published innovation (or chosen agencies')")
    p.add_argument("title", metavar="TITLE")
    p.add_argument("--deadline", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--agency", type=int, action="append", metavar="ID", help="only this agency's innovations "
                                                                             "(repeat for several)")
    p.set_defaults(func=cmd_campaign_open)
    p = campaign.add_parser("status", help="what is still outstanding, per agency")
    p.add_argument("--campaign", type=int, metavar="ID", help="default: the newest campaign")
    p.set_defaults(func=cmd_campaign_status)

    p = sub.add_parser("eval", help="relevance metrics (nDCG@10, MRR@10, Recall@20) on a judgments file")
    p.add_argument("judgments", nargs="?")
    p.add_argument("--mode", default="all", choices=["hybrid", "keyword", "semantic", "all"])
    p.add_argument("--split", choices=["dev", "holdout"], help="only the queries of this split (default: all)")
    p.add_argument("--save", metavar="OUT.json", help="write every query's metrics, for --compare")
    p.add_argument("--compare", nargs=2, metavar=("BEFORE.json", "AFTER.json"),
                   help="per mode and query kind: the difference and a paired randomisation test")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
