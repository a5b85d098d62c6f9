"""The one place that cleans what a client sends: the admin's `next` and formsets
that claim more forms than Django would ever build."""

from django.http import HttpResponse
from django.test import RequestFactory

from config.middleware import CleanInputMiddleware


def _seen(request):
    """The middleware's answer, or what the view was handed."""
    seen = {}

    def view(request):
        seen["next"] = request.GET.getlist("next") + request.POST.getlist("next")
        return HttpResponse("ok")

    response = CleanInputMiddleware(view)(request)
    return response, seen.get("next")


def test_an_admin_next_that_is_not_a_path_here_is_dropped():
    factory = RequestFactory()
    for hostile in ['"', "ab", "9" * 40, "https://elsewhere.example/", "//evil/"]:
        response, next_ = _seen(factory.post("/admin/pages/1/lock/", {"next": hostile}))
        assert response.status_code == 200 and next_ == []
        response, next_ = _seen(factory.get("/admin/workflows/", {"next": hostile}))
        assert next_ == []
    response, next_ = _seen(factory.post("/admin/pages/1/lock/", {"next": "/admin/"}))
    assert next_ == ["/admin/"]
    # Outside the admin our own views read `next` themselves: left as sent.
    response, next_ = _seen(factory.post("/ideas/1/support/", {"next": "ab"}))
    assert next_ == ["ab"]


def test_a_formset_claiming_more_than_1000_forms_is_refused():
    factory = RequestFactory()
    for claimed in ["1001", "9" * 40]:
        response, _ = _seen(
            factory.post(
                "/admin/groups/edit/1/", {"page_permissions-TOTAL_FORMS": claimed}
            )
        )
        assert response.status_code == 400
        assert b"more than 1000" in response.content
    response, _ = _seen(
        factory.post("/admin/groups/edit/1/", {"page_permissions-TOTAL_FORMS": "3"})
    )
    assert response.status_code == 200
