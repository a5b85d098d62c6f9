"""Forum and thread pages, and the form posts behind them. Thin: the rules live in actions."""

from collections.abc import Callable, Collection
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import sharedpages
from accounts.limits import limit
from live import versions

from . import actions
from .actions import DiscussionRefused
from .forms import EditPostForm, ReplyForm, StartThreadForm
from .models import ForumPage, Post, PostLike, Thread, ThreadFollow
from .permissions import can_read_thread, forum_is_readable, is_forum_staff
from .queries import SORTS, forum_thread_count, forum_threads

THREADS_PER_PAGE = 25
POSTS_PER_PAGE = 30
# What a discussion page reads of each post besides its shared article
# (forums/includes/post.html, reader_kind, the unread marker).
POST_LIST_FIELDS = ("id", "thread", "author", "reply_to", "visibility", "deleted_at")


# ---------------------------------------------------------------------------
# Contexts shared by pages (and by host apps through forums.hosts)
# ---------------------------------------------------------------------------


def forum_page_context(
    request: HttpRequest, forum: ForumPage, form: StartThreadForm | None = None
) -> dict[str, Any]:
    user = request.user
    sort = request.GET.get("sort", "latest")
    if sort not in SORTS:
        sort = "latest"
    paginator = Paginator(forum_threads(forum, user, sort), THREADS_PER_PAGE)
    paginator.count = forum_thread_count(forum, user, sort)  # type: ignore[misc]
    threads = paginator.get_page(request.GET.get("page"))
    threads.object_list = list(threads.object_list)
    thread_rows(threads.object_list)
    sharedpages.note(
        request, forum=forum.pk, forum_threads=[t.pk for t in threads.object_list]
    )
    refusal = ""
    if not user.is_authenticated:
        refusal = _("Log in to start a thread.")
    elif forum.who_may_start_threads == ForumPage.Starters.STAFF and not is_forum_staff(
        user
    ):
        refusal = _(
            "In this forum only city staff start threads; you can reply to theirs."
        )
    return {
        "forum": forum,
        "threads": threads,
        "sort": sort,
        "sorts": [
            ("latest", _("Latest")),
            ("top", _("Top")),
            ("unanswered", _("Unanswered")),
        ],
        "query_string": urlencode({"sort": sort}),
        "start_form": form or (StartThreadForm() if not refusal else None),
        "start_refusal": refusal,
    }


def discussion_context(
    request: HttpRequest,
    thread: Thread,
    *,
    page_number: int | str | None = None,
    reply_form: ReplyForm | None = None,
    mark_read: bool = True,
) -> dict[str, Any]:
    """What forums/includes/discussion.html needs; see forums.hosts.discussion_context."""
    user = request.user
    # Only what the list itself needs: each post's article (author, body, the
    # post it answers) comes from the shared fragments, and is read in full
    # only for the articles not in the cache (post_articles).
    qs = thread.posts.visible_to(user).only(*POST_LIST_FIELDS).order_by("id")
    posts: Page = Paginator(qs, POSTS_PER_PAGE).get_page(
        page_number if page_number is not None else request.GET.get("page")
    )
    liked_ids: set[int] = set()
    first_unread_id = None
    following = False
    refusal = ""
    ids = [p.pk for p in posts.object_list]
    sharedpages.note(request, threads=[thread.pk], posts=ids)
    if ids:
        sharedpages.note(request, read_thread=thread.pk, read_upto=max(ids))
    if user.is_authenticated:
        liked_ids = set(
            PostLike.objects.filter(user=user, post_id__in=ids).values_list(
                "post_id", flat=True
            )
        )
        state = thread.read_states.filter(user=user).first()
        following = ThreadFollow.objects.filter(user=user, thread=thread).exists()
        if state is not None:
            first_unread_id = next(
                (p.pk for p in posts.object_list if p.pk > state.last_read_post_id),
                None,
            )
        if mark_read and ids and not sharedpages.is_stand_in(user):
            actions.do_mark_thread_read(user, thread, max(ids), known=state)
        try:
            # The reply form is offered when a reply could be accepted; limits on
            # the text itself (rate, duplicates) are checked when it is sent.
            actions.check_can_reply(user, thread)
        except DiscussionRefused as refusal_error:
            refusal = str(refusal_error)
    else:
        refusal = _("Log in to take part in the discussion.")
    post_articles(posts.object_list, user=user, thread=thread, liked_ids=liked_ids)
    if reply_form is None and not refusal:
        answering = request.GET.get("reply_to", "")
        reply_form = ReplyForm(
            initial={"reply_to": int(answering)} if answering.isdigit() else None
        )
    return {
        "thread": thread,
        "posts": posts,
        "reply_form": None if refusal else reply_form,
        "post_refusal": refusal,
        "liked_ids": liked_ids,
        "first_unread_id": first_unread_id,
        "following": following,
        "is_forum_staff": is_forum_staff(user),
    }


# Fragments kept under a version (a newer version retires them sooner).
FRAGMENT_SECONDS = 300


def shared_fragments(
    items: list[Any],
    *,
    template: str,
    name: str,
    attr: str,
    variant: Callable[[Any], str] = lambda item: "",
    extra: dict[str, Any] | None = None,
    context: Callable[[Any], dict[str, Any]] | None = None,
    full: Callable[[list[Any]], dict[Any, Any]] | None = None,
) -> None:
    """Give each item `attr`: `template` rendered with the item as `name`, cached
    under the pages' version (live.versions: any edit, deletion, decision or new
    post moves it), the language and the item's `variant` (what differs between
    readers, if anything). One cache read for the page's items; only the missing
    ones are rendered, with `extra` and the item's `context` besides. The template
    must show nothing that depends on who reads beyond what the variant names.
    `full`, when the items were read with only some of their fields, reads the
    missing ones in full (by pk, in one query) for rendering."""
    if not items:
        return
    prefix = f"forums:{attr}:{get_language()}:{versions.current()}:"
    keys = [f"{prefix}{item.pk}:{variant(item)}" for item in items]
    found = cache.get_many(keys)
    whole: dict[Any, Any] = {}
    if full is not None and len(found) < len(keys):
        whole = full([i for i, k in zip(items, keys, strict=True) if k not in found])
    missing = {}
    for item, key in zip(items, keys, strict=True):
        html = found.get(key)
        if html is None:
            values = {**(extra or {}), name: whole.get(item.pk, item)}
            if context is not None:
                values.update(context(item))
            html = render_to_string(template, values)
            missing[key] = html
        setattr(item, attr, html)
    if missing:
        cache.set_many(missing, FRAGMENT_SECONDS)


def reader_kind(user: Any, post: Post, liked_ids: Collection[int]) -> str:
    """Which shared article of a post this reader gets (forums/includes/post_article.html)."""
    if not user.is_authenticated:
        return "anonymous"
    if post.author_id == user.pk:
        return "own"
    return "liked" if post.pk in liked_ids else "other"


def post_articles(
    posts: Any, *, user: Any, thread: Thread, liked_ids: Collection[int] = ()
) -> None:
    """Give each post its `article_html`: header, body and controls, shared by every
    reader of the same kind (anonymous, author, liked it, or not), so a page renders
    only what is this reader's own (the "new" marker, the reply form)."""
    posts = list(posts)
    for post in posts:
        post.reader = reader_kind(user, post, liked_ids)
    shared_fragments(
        posts,
        template="forums/includes/post_article.html",
        name="post",
        attr="article_html",
        variant=lambda post: f"{post.reader}:{int(thread.locked)}",
        extra={"thread": thread},
        context=lambda post: {"reader": post.reader},
        full=_whole_posts,
    )


def _whole_posts(posts: list[Post]) -> dict[int, Post]:
    """Posts read with only the list's fields (discussion_context), in full."""
    deferred = [post.pk for post in posts if post.get_deferred_fields()]
    if not deferred:
        return {}
    return Post.objects.select_related("author", "reply_to__author").in_bulk(deferred)


def thread_rows(threads: list[Thread]) -> None:
    """Give each thread its `row_html` for the forum page; the row differs between
    readers only by their count of new posts in it."""
    shared_fragments(
        threads,
        template="forums/includes/thread_row.html",
        name="thread",
        attr="row_html",
        variant=lambda thread: str(getattr(thread, "unread", 0) or 0),
    )


def _readable_thread(request: HttpRequest, pk: int) -> Thread:
    thread = get_object_or_404(Thread.objects.select_related("forum"), pk=pk)
    if not can_read_thread(request.user, thread):
        raise Http404
    return thread


def _post_location(user: Any, post: Post) -> str:
    """The URL of the page of its thread that shows `post`, with its anchor."""
    thread = post.thread
    before = thread.posts.visible_to(user).filter(id__lt=post.pk).count()
    page = before // POSTS_PER_PAGE + 1
    base = thread.get_absolute_url()
    query = f"?page={page}" if page > 1 else ""
    return f"{base}{query}#post-{post.pk}"


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


def thread_page(
    request: HttpRequest,
    pk: int,
    reply_form: ReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if reply_form is None and status == 200:
        # The page most residents share (accounts.sharedpages).
        return sharedpages.serve(  # type: ignore[return-value]
            request, lambda: _thread_page(request, pk)
        )
    return _thread_page(request, pk, reply_form, status)


def _thread_page(
    request: HttpRequest,
    pk: int,
    reply_form: ReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    thread = _readable_thread(request, pk)
    if thread.is_hosted and request.method == "GET":
        # A hosted thread is shown on its host's page (an idea).
        return HttpResponseRedirect(thread.get_absolute_url())
    context = discussion_context(request, thread, reply_form=reply_form)
    context["forum"] = thread.forum
    sharedpages.note(request, follow_thread=thread.pk)
    return render(request, "forums/thread.html", context, status=status)


def post_link(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread__forum"), pk=pk)
    if not can_read_thread(request.user, post.thread) or not post.is_visible_to(
        request.user
    ):
        raise Http404
    return HttpResponseRedirect(_post_location(request.user, post))


def new_thread(request: HttpRequest, forum_pk: int) -> HttpResponse:
    forum = get_object_or_404(ForumPage, pk=forum_pk)
    if not forum_is_readable(forum, request.user):
        raise Http404
    if not request.user.is_authenticated:
        return redirect(f"{_login_url()}?{urlencode({'next': forum.url or '/'})}")
    form = StartThreadForm(request.POST or None)
    status = 200
    if request.method == "POST":
        limit(request, "post")
        if form.is_valid():
            try:
                thread = actions.do_start_thread(
                    request.user,
                    forum,
                    form.cleaned_data["title"],
                    form.cleaned_data["body"],
                )
            except DiscussionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                if not thread.is_published:
                    messages.info(
                        request,
                        _(
                            "Thanks! Your thread waits for a moderator before others see it."
                        ),
                    )
                return redirect(thread.get_absolute_url())
        status = 400
    return render(
        request, "forums/new_thread.html", {"forum": forum, "form": form}, status=status
    )


@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _readable_thread(request, pk)
    if not request.user.is_authenticated:
        return redirect(
            f"{_login_url()}?{urlencode({'next': thread.get_absolute_url()})}"
        )
    limit(request, "post")
    form = ReplyForm(request.POST)
    if form.is_valid():
        reply_to = None
        if form.cleaned_data.get("reply_to"):
            reply_to = Post.objects.filter(
                pk=form.cleaned_data["reply_to"], thread=thread
            ).first()
        try:
            post = actions.do_reply(
                request.user, thread, form.cleaned_data["body"], reply_to
            )
        except DiscussionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            if not post.is_published:
                messages.info(
                    request,
                    _("Thanks! Your post waits for a moderator before others see it."),
                )
            return HttpResponseRedirect(_post_location(request.user, post))
    # Re-show the thread (a hosted one too) with what was typed and why it failed.
    return thread_page(request, thread.pk, reply_form=form, status=400)


@login_required
def edit_post(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread__forum"), pk=pk)
    if not can_read_thread(request.user, post.thread) or not post.is_visible_to(
        request.user
    ):
        raise Http404
    form = EditPostForm(request.POST or None, initial={"body": post.body})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_edit_post(request.user, post, form.cleaned_data["body"])
            except DiscussionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("Your post has been updated."))
                return HttpResponseRedirect(_post_location(request.user, post))
        status = 400
    else:
        try:
            actions.check_edit_post(request.user, post, post.body or "-")
        except DiscussionRefused as refusal:
            messages.error(request, str(refusal))
            return HttpResponseRedirect(_post_location(request.user, post))
    return render(
        request,
        "forums/edit_post.html",
        {"post": post, "form": form, "revisions": post.revisions.all()[:20]},
        status=status,
    )


def _act(request: HttpRequest, fn: Any, *args: Any, success: str = "") -> None:
    try:
        fn(request.user, *args)
    except DiscussionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        if success:
            messages.success(request, success)


@require_POST
@login_required
def delete_post(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread__forum"), pk=pk)
    _act(request, actions.do_delete_post, post, success=_("Your post was deleted."))
    return HttpResponseRedirect(_post_location(request.user, post))


@require_POST
@login_required
def like_post(request: HttpRequest, pk: int) -> HttpResponse:
    limit(request, "like")
    post = get_object_or_404(Post.objects.select_related("thread__forum"), pk=pk)
    liked = request.POST.get("liked", "1") == "1"
    _act(request, actions.do_set_post_like, post, liked)
    return HttpResponseRedirect(_post_location(request.user, post))


@require_POST
@login_required
def follow_thread(request: HttpRequest, pk: int) -> HttpResponse:
    limit(request, "follow")
    thread = _readable_thread(request, pk)
    if request.POST.get("follow", "1") == "1":
        _act(
            request,
            actions.do_follow_thread,
            thread,
            success=_("You follow this thread."),
        )
    else:
        _act(
            request,
            actions.do_unfollow_thread,
            thread,
            success=_("You no longer follow this thread."),
        )
    return HttpResponseRedirect(_thread_return(thread))


@require_POST
@login_required
def moderate_thread(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _readable_thread(request, pk)
    action = request.POST.get("action", "")
    if action in ("pin", "unpin"):
        _act(request, actions.do_pin_thread, thread, action == "pin")
    elif action in ("lock", "unlock"):
        _act(
            request,
            actions.do_lock_thread,
            thread,
            action == "lock",
            request.POST.get("reason", ""),
        )
    else:
        messages.error(request, _("Unknown action."))
    return HttpResponseRedirect(_thread_return(thread))


def forum_index(request: HttpRequest) -> HttpResponse:
    """/discussions/: the header's "Forums" link, to the forum index page wherever it is."""
    from .models import ForumIndexPage

    index = ForumIndexPage.objects.live().public().first()
    if index is None or not index.url:
        return redirect("forums:search")
    return redirect(index.url)


def search(request: HttpRequest) -> HttpResponse:
    """Search forum threads and posts with the site's one search engine.

    `?forum=<page id>` narrows it to one forum (the forum page's own search box).
    """
    from search.query import search as site_search
    from search.views import facet_link, search_params

    params = search_params(request)
    forum_id = params["place"]
    results = site_search(
        params["q"],
        kinds=["thread", "post"],
        place_id=forum_id,
        page_number=request.GET.get("page"),
    )
    forum = ForumPage.objects.filter(pk=forum_id).first() if forum_id else None
    if forum is not None and not forum_is_readable(forum, request.user):
        forum = None
    return render(
        request,
        "forums/search.html",
        {
            "query": params["q"],
            "results": results,
            "page": results.page,
            "forum": forum,
            "query_string": facet_link({**params, "kinds": []}),
        },
    )


def _thread_return(thread: Thread) -> str:
    return thread.get_absolute_url()


def _login_url() -> str:
    from django.conf import settings
    from django.shortcuts import resolve_url

    return resolve_url(settings.LOGIN_URL)
