"""dsar pages: the staff list, detail and entry form, the dashboard; the public form and verification page.

Staff pages require sign-in (:class:`portal.web.PortalViewMixin`); each action is
a POST that calls one service, and a refusal is a message on the request page.
"""
