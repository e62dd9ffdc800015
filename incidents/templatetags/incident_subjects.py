"""``{% subject_summary incident %}``: the subject counts on the incident page, one query, from any view."""

from django import template

from incidents.subjects import selectors

register = template.Library()


@register.inclusion_tag("incidents/includes/subject_summary.html")
def subject_summary(incident):
    return {"incident": incident, "counts": selectors.counts(incident)}
