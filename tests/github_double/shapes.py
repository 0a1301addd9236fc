"""GitHub's REST response shapes, built from the double's records (field names as in docs.github.com)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from .git import FileChange, GitCommit
from .model import Annotation, CheckRun, Comment, Installation, Issue, Reaction, Repo, Token, User
from .state import GitHubState

HTML = "https://github.com"
APP_PERMISSIONS = {
    "checks": "write",
    "contents": "read",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
}
APP_EVENTS = ["check_run", "issue_comment", "issues", "pull_request", "push"]
CONTENT_INLINE_LIMIT = 1024 * 1024  # larger files come back with encoding "none", as on GitHub
Json = dict[str, Any]


def ts(when: datetime | None) -> str | None:
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


def b64_lines(data: bytes) -> str:
    """Base64 as GitHub sends it: lines of 60 characters, each ending in a newline."""
    flat = base64.b64encode(data).decode()
    return "".join(flat[i : i + 60] + "\n" for i in range(0, len(flat), 60))


class Shapes:
    def __init__(self, state: GitHubState, api: str) -> None:
        self.state = state
        self.api = api.rstrip("/")

    # -- people and apps -----------------------------------------------------------------------------------

    def user(self, u: User) -> Json:
        api, login = self.api, u.login
        html = f"{HTML}/apps/{login.removesuffix('[bot]')}" if u.type == "Bot" else f"{HTML}/{login}"
        return {
            "login": login,
            "id": u.id,
            "node_id": u.node_id,
            "avatar_url": f"https://avatars.githubusercontent.com/u/{u.id}?v=4",
            "gravatar_id": "",
            "url": f"{api}/users/{login}",
            "html_url": html,
            "followers_url": f"{api}/users/{login}/followers",
            "following_url": f"{api}/users/{login}/following{{/other_user}}",
            "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
            "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/users/{login}/subscriptions",
            "organizations_url": f"{api}/users/{login}/orgs",
            "repos_url": f"{api}/users/{login}/repos",
            "events_url": f"{api}/users/{login}/events{{/privacy}}",
            "received_events_url": f"{api}/users/{login}/received_events",
            "type": u.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def app(self) -> Json:
        a = self.state.app
        return {
            "id": a.id,
            "slug": a.slug,
            "node_id": a.node_id,
            "client_id": f"Iv1.{a.id:016x}",
            "owner": self.user(a.owner),
            "name": a.name,
            "description": "Checks exam reports (GitHub double)",
            "external_url": "https://report-bot.example.org",
            "html_url": f"{HTML}/apps/{a.slug}",
            "created_at": ts(a.created_at),
            "updated_at": ts(a.created_at),
            "permissions": APP_PERMISSIONS,
            "events": APP_EVENTS,
            "installations_count": len(self.state.installations),
        }

    def installation(self, inst: Installation) -> Json:
        a, acct = self.state.app, inst.account
        return {
            "id": inst.id,
            "account": self.user(acct),
            "repository_selection": inst.repository_selection,
            "access_tokens_url": f"{self.api}/app/installations/{inst.id}/access_tokens",
            "repositories_url": f"{self.api}/installation/repositories",
            "html_url": f"{HTML}/organizations/{acct.login}/settings/installations/{inst.id}",
            "app_id": a.id,
            "app_slug": a.slug,
            "client_id": f"Iv1.{a.id:016x}",
            "target_id": acct.id,
            "target_type": acct.type,
            "permissions": APP_PERMISSIONS,
            "events": APP_EVENTS,
            "created_at": ts(inst.created_at),
            "updated_at": ts(inst.created_at),
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }

    def token(self, token: Token) -> Json:
        return {
            "token": token.value,
            "expires_at": ts(token.expires_at),
            "permissions": APP_PERMISSIONS,
            "repository_selection": "all",
        }

    # -- repositories --------------------------------------------------------------------------------------

    def repo(self, r: Repo) -> Json:
        api, full = f"{self.api}/repos/{r.full_name}", r.full_name
        open_issues = sum(1 for i in r.issues.values() if i.state == "open" and not i.deleted)
        return {
            "id": r.id,
            "node_id": r.node_id,
            "name": r.name,
            "full_name": full,
            "private": r.private,
            "owner": self.user(r.owner),
            "html_url": f"{HTML}/{full}",
            "description": None,
            "fork": False,
            "url": api,
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{api}/assignees{{/user}}",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "comments_url": f"{api}/comments{{/number}}",
            "commits_url": f"{api}/commits{{/sha}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "contributors_url": f"{api}/contributors",
            "deployments_url": f"{api}/deployments",
            "downloads_url": f"{api}/downloads",
            "events_url": f"{api}/events",
            "forks_url": f"{api}/forks",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_url": f"git://github.com/{full}.git",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "issues_url": f"{api}/issues{{/number}}",
            "keys_url": f"{api}/keys{{/key_id}}",
            "labels_url": f"{api}/labels{{/name}}",
            "languages_url": f"{api}/languages",
            "merges_url": f"{api}/merges",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "releases_url": f"{api}/releases{{/id}}",
            "ssh_url": f"git@github.com:{full}.git",
            "stargazers_url": f"{api}/stargazers",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "tags_url": f"{api}/tags",
            "teams_url": f"{api}/teams",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "clone_url": f"{HTML}/{full}.git",
            "mirror_url": None,
            "hooks_url": f"{api}/hooks",
            "svn_url": f"{HTML}/{full}",
            "homepage": None,
            "language": None,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "size": sum(len(b) for b in r.objects.blobs.values()) // 1024,
            "default_branch": r.default_branch,
            "open_issues_count": open_issues,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if r.private else "public",
            "pushed_at": ts(r.pushed_at),
            "created_at": ts(r.created_at),
            "updated_at": ts(r.pushed_at),
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "subscribers_count": 0,
            "network_count": 0,
            "license": None,
            "forks": 0,
            "open_issues": open_issues,
            "watchers": 0,
        }

    # -- git -----------------------------------------------------------------------------------------------

    def _person(self, name: str, email: str, when: datetime) -> Json:
        return {"name": name, "email": email, "date": ts(when)}

    def commit(self, r: Repo, c: GitCommit, *, files: bool = False) -> Json:
        api, full = f"{self.api}/repos/{r.full_name}", r.full_name
        author = self.state.known_user(c.author_name)
        body: Json = {
            "sha": c.sha,
            "node_id": "C_" + base64.urlsafe_b64encode(bytes.fromhex(c.sha)).decode().rstrip("="),
            "commit": {
                "author": self._person(c.author_name, c.author_email, c.date),
                "committer": self._person(c.author_name, c.author_email, c.date),
                "message": c.message,
                "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
                "url": f"{api}/git/commits/{c.sha}",
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "url": f"{api}/commits/{c.sha}",
            "html_url": f"{HTML}/{full}/commit/{c.sha}",
            "comments_url": f"{api}/commits/{c.sha}/comments",
            "author": self.user(author) if author else None,
            "committer": self.user(author) if author else None,
            "parents": [
                {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{HTML}/{full}/commit/{p}"}
                for p in c.parents
            ],
        }
        if files:
            before = r.objects.commits[c.parents[0]].files if c.parents else {}
            changes = r.objects.diff(before, c.files)
            adds, dels = sum(x.additions for x in changes), sum(x.deletions for x in changes)
            body["stats"] = {"total": adds + dels, "additions": adds, "deletions": dels}
            body["files"] = [self.diff_entry(r, x, c.sha) for x in changes]
        return body

    def branch(self, r: Repo, name: str) -> Json:
        api = f"{self.api}/repos/{r.full_name}"
        c = r.objects.commits[r.branches[name]]
        return {
            "name": name,
            "commit": self.commit(r, c),
            "_links": {"self": f"{api}/branches/{name}", "html": f"{HTML}/{r.full_name}/tree/{name}"},
            "protected": False,
            "protection": {
                "enabled": False,
                "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
            },
            "protection_url": f"{api}/branches/{name}/protection",
        }

    def git_ref(self, r: Repo, ref: str, sha: str) -> Json:
        api = f"{self.api}/repos/{r.full_name}"
        return {
            "ref": ref,
            "node_id": "REF_" + base64.urlsafe_b64encode(ref.encode()).decode().rstrip("="),
            "url": f"{api}/git/{ref}",
            "object": {"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"},
        }

    def _content_common(self, r: Repo, ref: str, path: str, kind: str, sha: str, size: int) -> Json:
        api = f"{self.api}/repos/{r.full_name}"
        git_kind = "trees" if kind == "dir" else "blobs"
        html_kind = "tree" if kind == "dir" else "blob"
        self_url = f"{api}/contents/{path}?ref={ref}"
        git_url = f"{api}/git/{git_kind}/{sha}"
        html_url = f"{HTML}/{r.full_name}/{html_kind}/{ref}/{path}"
        download = f"https://raw.githubusercontent.com/{r.full_name}/{ref}/{path}" if kind == "file" else None
        return {
            "type": kind,
            "size": size,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "url": self_url,
            "git_url": git_url,
            "html_url": html_url,
            "download_url": download,
            "_links": {"self": self_url, "git": git_url, "html": html_url},
        }

    def content_file(self, r: Repo, ref: str, path: str, sha: str) -> Json:
        data = r.objects.blobs[sha]
        body = self._content_common(r, ref, path, "file", sha, len(data))
        if len(data) > CONTENT_INLINE_LIMIT:
            body.update(content="", encoding="none")
        else:
            body.update(content=b64_lines(data), encoding="base64")
        return body

    def content_item(self, r: Repo, ref: str, path: str, kind: str, sha: str, size: int) -> Json:
        return self._content_common(r, ref, path, kind, sha, size)

    def tree(self, r: Repo, tree_sha: str, recursive: bool) -> Json:
        api = f"{self.api}/repos/{r.full_name}"
        entries = []
        for path, e in r.objects.walk_tree(tree_sha, recursive):
            item: Json = {"path": path, "mode": e.mode, "type": e.type, "sha": e.sha}
            if e.type == "blob":
                item["size"] = e.size
                item["url"] = f"{api}/git/blobs/{e.sha}"
            else:
                item["url"] = f"{api}/git/trees/{e.sha}"
            entries.append(item)
        limit = self.state.tree_limit
        truncated = recursive and limit is not None and len(entries) > limit
        if truncated:
            entries = entries[:limit]
        return {
            "sha": tree_sha,
            "url": f"{api}/git/trees/{tree_sha}",
            "tree": entries,
            "truncated": truncated,
        }

    def blob(self, r: Repo, sha: str) -> Json:
        data = r.objects.blobs[sha]
        return {
            "sha": sha,
            "node_id": "B_" + base64.urlsafe_b64encode(bytes.fromhex(sha)).decode().rstrip("="),
            "size": len(data),
            "url": f"{self.api}/repos/{r.full_name}/git/blobs/{sha}",
            "content": b64_lines(data),
            "encoding": "base64",
        }

    def diff_entry(self, r: Repo, x: FileChange, ref: str) -> Json:
        api = f"{self.api}/repos/{r.full_name}"
        body: Json = {
            "sha": x.sha,
            "filename": x.filename,
            "status": x.status,
            "additions": x.additions,
            "deletions": x.deletions,
            "changes": x.additions + x.deletions,
            "blob_url": f"{HTML}/{r.full_name}/blob/{ref}/{x.filename}",
            "raw_url": f"{HTML}/{r.full_name}/raw/{ref}/{x.filename}",
            "contents_url": f"{api}/contents/{x.filename}?ref={ref}",
        }
        if x.patch is not None:
            body["patch"] = x.patch
        if x.previous_filename is not None:
            body["previous_filename"] = x.previous_filename
        return body

    def comparison(self, r: Repo, base: str, head: str, basehead: str) -> Json:
        objects = r.objects
        merge_base = objects.merge_base(base, head) or base
        ahead = objects.commits_between(base, head)
        behind = objects.commits_between(head, base)
        status = (
            "identical"
            if not ahead and not behind
            else "ahead"
            if not behind
            else "behind"
            if not ahead
            else "diverged"
        )
        api = f"{self.api}/repos/{r.full_name}"
        changes = objects.diff(objects.commits[merge_base].files, objects.commits[head].files)
        return {
            "url": f"{api}/compare/{basehead}",
            "html_url": f"{HTML}/{r.full_name}/compare/{basehead}",
            "permalink_url": f"{HTML}/{r.full_name}/compare/{r.owner.login}:{base[:7]}...{r.owner.login}:{head[:7]}",
            "diff_url": f"{HTML}/{r.full_name}/compare/{basehead}.diff",
            "patch_url": f"{HTML}/{r.full_name}/compare/{basehead}.patch",
            "base_commit": self.commit(r, objects.commits[base]),
            "merge_base_commit": self.commit(r, objects.commits[merge_base]),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "commits": [self.commit(r, c) for c in ahead],
            "files": [self.diff_entry(r, x, head) for x in changes],
        }

    # -- issues, comments, reactions -------------------------------------------------------------------------

    def association(self, r: Repo, u: User) -> str:
        if u.login.lower() == r.owner.login.lower():
            return "OWNER"
        if u.type == "Bot":
            return "NONE"
        role = r.roles.get(u.login.lower())
        if role in ("admin", "maintain", "write", "triage"):
            return "MEMBER" if r.owner.type == "Organization" else "COLLABORATOR"
        return "CONTRIBUTOR" if role == "read" else "NONE"

    def rollup(self, url: str, reactions: list[Reaction]) -> Json:
        body: Json = {"url": url, "total_count": len(reactions)}
        for content in ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"):
            body[content] = sum(1 for x in reactions if x.content == content)
        return body

    def _performed_via(self, u: User) -> Json | None:
        return self.app() if u.id == self.state.bot.id else None

    def issue(self, r: Repo, i: Issue) -> Json:
        api = f"{self.api}/repos/{r.full_name}"
        url = f"{api}/issues/{i.number}"
        kind = "pull" if i.pull else "issues"
        comments = sum(1 for c in r.comments.values() if c.issue_number == i.number)
        body: Json = {
            "url": url,
            "repository_url": api,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{HTML}/{r.full_name}/{kind}/{i.number}",
            "id": i.id,
            "node_id": i.node_id,
            "number": i.number,
            "title": i.title,
            "user": self.user(i.user),
            "labels": [self.label(r, name) for name in i.labels],
            "state": i.state,
            "locked": i.locked,
            "assignee": self.user(i.assignees[0]) if i.assignees else None,
            "assignees": [self.user(u) for u in i.assignees],
            "milestone": None,
            "comments": comments,
            "created_at": ts(i.created_at),
            "updated_at": ts(i.updated_at),
            "closed_at": ts(i.closed_at),
            "closed_by": self.user(i.closed_by) if i.closed_by else None,
            "author_association": self.association(r, i.user),
            "active_lock_reason": None,
            "body": i.body,
            "reactions": self.rollup(f"{url}/reactions", i.reactions),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": self._performed_via(i.user),
            "state_reason": i.state_reason,
        }
        if i.pull:
            body["draft"] = i.pull.draft
            body["pull_request"] = {
                "url": f"{api}/pulls/{i.number}",
                "html_url": f"{HTML}/{r.full_name}/pull/{i.number}",
                "diff_url": f"{HTML}/{r.full_name}/pull/{i.number}.diff",
                "patch_url": f"{HTML}/{r.full_name}/pull/{i.number}.patch",
                "merged_at": None,
            }
        return body

    def label(self, r: Repo, name: str) -> Json:
        lid = abs(hash((r.id, name))) % 10**9
        return {
            "id": lid,
            "node_id": f"LA_{lid}",
            "url": f"{self.api}/repos/{r.full_name}/labels/{name}",
            "name": name,
            "color": "ededed",
            "default": False,
            "description": None,
        }

    def comment(self, r: Repo, c: Comment) -> Json:
        api = f"{self.api}/repos/{r.full_name}"
        url = f"{api}/issues/comments/{c.id}"
        kind = "pull" if r.issues[c.issue_number].pull else "issues"
        return {
            "url": url,
            "html_url": f"{HTML}/{r.full_name}/{kind}/{c.issue_number}#issuecomment-{c.id}",
            "issue_url": f"{api}/issues/{c.issue_number}",
            "id": c.id,
            "node_id": c.node_id,
            "user": self.user(c.user),
            "created_at": ts(c.created_at),
            "updated_at": ts(c.updated_at),
            "author_association": self.association(r, c.user),
            "body": c.body,
            "reactions": self.rollup(f"{url}/reactions", c.reactions),
            "performed_via_github_app": self._performed_via(c.user),
        }

    def reaction(self, x: Reaction) -> Json:
        return {
            "id": x.id,
            "node_id": x.node_id,
            "user": self.user(x.user),
            "content": x.content,
            "created_at": ts(x.created_at),
        }

    # -- pull requests ---------------------------------------------------------------------------------------

    def _pull_side(self, r: Repo, ref: str, sha: str) -> Json:
        return {
            "label": f"{r.owner.login}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(r.owner),
            "repo": self.repo(r),
        }

    def pull(self, r: Repo, i: Issue) -> Json:
        assert i.pull is not None
        p = i.pull
        api = f"{self.api}/repos/{r.full_name}"
        url = f"{api}/pulls/{i.number}"
        html = f"{HTML}/{r.full_name}/pull/{i.number}"
        changes = self.state.pull_files(r, i)
        commits = r.objects.commits_between(p.base_sha, p.head_sha)
        links = {
            "self": url,
            "html": html,
            "issue": f"{api}/issues/{i.number}",
            "comments": f"{api}/issues/{i.number}/comments",
            "review_comments": f"{url}/comments",
            "review_comment": f"{api}/pulls/comments{{/number}}",
            "commits": f"{url}/commits",
            "statuses": f"{api}/statuses/{p.head_sha}",
        }
        return {
            "url": url,
            "id": i.id,
            "node_id": i.node_id,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": links["issue"],
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": links["statuses"],
            "number": i.number,
            "state": i.state,
            "locked": i.locked,
            "title": i.title,
            "user": self.user(i.user),
            "body": i.body,
            "labels": [self.label(r, name) for name in i.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": ts(i.created_at),
            "updated_at": ts(i.updated_at),
            "closed_at": ts(i.closed_at),
            "merged_at": None,
            "merge_commit_sha": None,
            "assignee": self.user(i.assignees[0]) if i.assignees else None,
            "assignees": [self.user(u) for u in i.assignees],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._pull_side(r, p.head_ref, p.head_sha),
            "base": self._pull_side(r, p.base_ref, p.base_sha),
            "_links": {k: {"href": v} for k, v in links.items()},
            "author_association": self.association(r, i.user),
            "auto_merge": None,
            "draft": p.draft,
            "merged": p.merged,
            "mergeable": True,
            "rebaseable": True,
            "mergeable_state": "clean",
            "merged_by": None,
            "comments": sum(1 for c in r.comments.values() if c.issue_number == i.number),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": len(commits),
            "additions": sum(x.additions for x in changes),
            "deletions": sum(x.deletions for x in changes),
            "changed_files": len(changes),
        }

    # -- checks ----------------------------------------------------------------------------------------------

    def check_run(self, r: Repo, cr: CheckRun) -> Json:
        api = f"{self.api}/repos/{r.full_name}"
        pulls = [
            i
            for i in r.issues.values()
            if i.pull and i.state == "open" and not i.deleted and i.pull.head_sha == cr.head_sha
        ]
        return {
            "id": cr.id,
            "name": cr.name,
            "node_id": cr.node_id,
            "head_sha": cr.head_sha,
            "external_id": cr.external_id,
            "url": f"{api}/check-runs/{cr.id}",
            "html_url": f"{HTML}/{r.full_name}/runs/{cr.id}",
            "details_url": cr.details_url,
            "status": cr.status,
            "conclusion": cr.conclusion,
            "started_at": ts(cr.started_at),
            "completed_at": ts(cr.completed_at),
            "output": {
                "title": cr.title,
                "summary": cr.summary,
                "text": cr.text,
                "annotations_count": len(cr.annotations),
                "annotations_url": f"{api}/check-runs/{cr.id}/annotations",
            },
            "check_suite": {"id": cr.check_suite_id},
            "app": self.app(),
            "pull_requests": [self._pull_minimal(r, i) for i in pulls],
        }

    def _pull_minimal(self, r: Repo, i: Issue) -> Json:
        assert i.pull is not None
        side_repo = {"id": r.id, "url": f"{self.api}/repos/{r.full_name}", "name": r.name}
        return {
            "id": i.id,
            "number": i.number,
            "url": f"{self.api}/repos/{r.full_name}/pulls/{i.number}",
            "head": {"ref": i.pull.head_ref, "sha": i.pull.head_sha, "repo": side_repo},
            "base": {"ref": i.pull.base_ref, "sha": i.pull.base_sha, "repo": side_repo},
        }

    def annotation(self, r: Repo, cr: CheckRun, a: Annotation) -> Json:
        return {
            "path": a.path,
            "blob_href": f"{HTML}/{r.full_name}/blob/{cr.head_sha}/{a.path}",
            "start_line": a.start_line,
            "end_line": a.end_line,
            "start_column": a.start_column,
            "end_column": a.end_column,
            "annotation_level": a.annotation_level,
            "title": a.title,
            "message": a.message,
            "raw_details": a.raw_details,
        }

    # -- permissions -----------------------------------------------------------------------------------------

    def permission(self, r: Repo, u: User, role: str) -> Json:
        legacy = {"maintain": "write", "triage": "read"}.get(role, role)
        rank = ["none", "read", "triage", "write", "maintain", "admin"].index(role)
        user = self.user(u)
        user["permissions"] = {
            "admin": rank >= 5,
            "maintain": rank >= 4,
            "push": rank >= 3,
            "triage": rank >= 2,
            "pull": rank >= 1,
        }
        user["role_name"] = role
        return {"permission": legacy, "role_name": role, "user": user}
