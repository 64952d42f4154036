"""The admin console under /admin: server-rendered pages for the people who manage
the list, read and approve editions, and watch the sending.

Every page needs a signed-in admin (:mod:`digest.web.admin.core`); changes are POSTs
with a CSRF token, checked against the admin's role, answered by a redirect with a
flash message, and recorded in the audit log.
"""

from __future__ import annotations

from starlette.routing import Route

from digest.web.admin import (
    admins,
    bulk,
    dashboard,
    editions,
    feed_lists,
    imports,
    keys,
    operations,
    reports,
    signin,
    subscribers,
)

ED = "/admin/editions/{day}/{language}"
SUB = "/admin/subscribers/{subscriber_id:int}"

# Full paths (not a Mount): the pages build their links from the app's own root path.
routes = [
    Route("/admin", dashboard.dashboard, methods=["GET"]),
    Route("/admin/login", signin.login_form, methods=["GET"]),
    Route("/admin/login", signin.login, methods=["POST"]),
    Route("/admin/logout", signin.logout, methods=["POST"]),
    Route("/admin/logout-everywhere", signin.logout_everywhere, methods=["POST"]),
    Route("/admin/subscribers", subscribers.subscriber_list, methods=["GET"]),
    Route("/admin/subscribers/add", subscribers.add_subscriber, methods=["POST"]),
    Route("/admin/subscribers/import", imports.import_form, methods=["GET"]),
    Route("/admin/subscribers/import", imports.import_upload, methods=["POST"]),
    Route("/admin/subscribers/import/{job_id:int}", imports.import_job, methods=["GET"]),
    Route("/admin/subscribers/bulk", bulk.bulk_action, methods=["POST"]),
    Route("/admin/subscribers/export", subscribers.export, methods=["GET"]),
    Route(f"{SUB}", subscribers.subscriber_page, methods=["GET"]),
    Route("/admin/subscribers/{subscriber_id:int}/edit", subscribers.edit_subscriber, methods=["POST"]),
    Route("/admin/subscribers/{subscriber_id:int}/unsubscribe", subscribers.unsubscribe_subscriber, methods=["POST"]),
    Route("/admin/subscribers/{subscriber_id:int}/forget", subscribers.forget_subscriber, methods=["POST"]),
    Route("/admin/subscribers/{subscriber_id:int}/reconfirm", subscribers.reconfirm, methods=["POST"]),
    Route(
        "/admin/subscribers/{subscriber_id:int}/resend-confirmation", subscribers.resend_confirmation, methods=["POST"]
    ),
    Route("/admin/editions", editions.edition_list, methods=["GET"]),
    Route("/admin/editions/{day}", editions.edition_page, methods=["GET"]),
    Route("/admin/editions/{day}/report", reports.report_page, methods=["GET"]),
    Route("/admin/editions/{day}/report.csv", reports.report_csv, methods=["GET"]),
    Route(f"{ED}/preview", editions.preview, methods=["GET"]),
    Route(f"{ED}/items/{{position:int}}", editions.edit_item, methods=["POST"]),
    Route(f"{ED}/approve", editions.approve, methods=["POST"]),
    Route(f"{ED}/withdraw", editions.withdraw, methods=["POST"]),
    Route(f"{ED}/rebuild", editions.rebuild, methods=["POST"]),
    Route(f"{ED}/test-send", editions.test_send, methods=["POST"]),
    Route("/admin/deliveries", operations.deliveries, methods=["GET"]),
    Route("/admin/deliveries/counts", operations.delivery_counts, methods=["GET"]),
    Route("/admin/deliveries/{edition_id:int}/retry-failed", operations.retry_failed, methods=["POST"]),
    Route("/admin/deliveries/{edition_id:int}/release-held", operations.release_held, methods=["POST"]),
    Route("/admin/suppressions/{suppression_id:int}/remove", operations.remove_suppression, methods=["POST"]),
    Route("/admin/suppressions/add", operations.add_suppression, methods=["POST"]),
    Route("/admin/feeds", operations.feeds, methods=["GET"]),
    Route("/admin/feeds/add", operations.add_feed, methods=["POST"]),
    Route("/admin/feeds/remove", operations.delete_feed, methods=["POST"]),
    Route("/admin/feeds/poll", operations.poll_now, methods=["POST"]),
    Route("/admin/feeds/import", feed_lists.import_opml, methods=["POST"]),
    Route("/admin/feeds/export", feed_lists.export_opml, methods=["GET"]),
    Route("/admin/articles", operations.articles, methods=["GET"]),
    Route("/admin/audit", operations.audit_page, methods=["GET"]),
    Route("/admin/admins", admins.admin_list, methods=["GET"]),
    Route("/admin/admins/add", admins.add_admin, methods=["POST"]),
    Route("/admin/admins/role", admins.change_role, methods=["POST"]),
    Route("/admin/admins/password", admins.set_password, methods=["POST"]),
    Route("/admin/admins/remove", admins.remove_admin, methods=["POST"]),
    Route("/admin/keys", keys.key_list, methods=["GET"]),
    Route("/admin/keys", keys.create_key, methods=["POST"]),
    Route("/admin/keys/{key_id:int}/revoke", keys.revoke_key, methods=["POST"]),
]
