"""A customer's data on request (GDPR), for management: find it by the customer's reference,
download it, or erase it. The reference travels only in POST bodies, never in an address."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dashboards import customers
from dashboards.forms import CustomerReferenceForm
from organisations import roles


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_handle_customer_requests)
def customer_data(request):
    form = CustomerReferenceForm(request.POST or None)
    data = None
    if request.method == "POST" and form.is_valid():
        data = customers.find(request.user.organisation, form.cleaned_data["reference"])
    return render(
        request,
        "dashboards/customer_data.html",
        {"form": form, "data": data},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
@roles.allowed_if(roles.can_handle_customer_requests)
def customer_export(request):
    form = CustomerReferenceForm(request.POST)
    if not form.is_valid():
        return render(request, "dashboards/customer_data.html", {"form": form}, status=400)
    organisation = request.user.organisation
    data = customers.find(organisation, form.cleaned_data["reference"])
    customers.record_export(organisation, request.user, data)
    response = HttpResponse(
        json.dumps(customers.as_json(data), ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="customer-data.json"'
    return response


@require_POST
@login_required
@roles.allowed_if(roles.can_handle_customer_requests)
def customer_erase(request):
    form = CustomerReferenceForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["confirm"]:
        if form.is_valid():
            form.add_error("confirm", _("Tick the box to confirm the erasure."))
        data = (
            customers.find(request.user.organisation, form.cleaned_data["reference"])
            if "reference" in form.cleaned_data
            else None
        )
        return render(
            request, "dashboards/customer_data.html", {"form": form, "data": data}, status=400
        )
    counts = customers.erase(
        request.user.organisation, request.user, form.cleaned_data["reference"]
    )
    messages.success(
        request,
        _(
            "Erased: %(responses)s responses, %(interactions)s interactions, %(replies)s answers "
            "sent and %(files)s stored import files. The figures are being recomputed."
        )
        % {
            "responses": counts["responses"],
            "interactions": counts["interactions"],
            "replies": counts["answers sent"],
            "files": counts["import files"],
        },
    )
    return redirect("dashboards:customer_data")
