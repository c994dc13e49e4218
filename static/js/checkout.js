/* Checkout with Stripe Elements (server-side confirmation).
 *
 * 1. Mount the Payment Element in deferred-intent mode (amount and currency from the form's data-*).
 * 2. On submit: elements.submit() validates, stripe.createPaymentMethod() turns the card into a
 *    PaymentMethod id; that id is posted to this page (Accept: application/json), where
 *    leasing.services.lease_pay charges it with the lease's idempotency key.
 * 3. If the bank asks for 3-D Secure the server answers requires_action with the PaymentIntent's
 *    client secret; stripe.handleNextAction() shows the bank's challenge (redirecting only if it
 *    must), then payment_intent=<id> is posted here to read the outcome and fund the lease.
 *    The payment_intent.succeeded webhook finishes the payment too if this page is closed.
 * A retry after "the payment service did not answer" resends the same PaymentMethod id: the server
 * retries the same attempt with the same idempotency key, which Stripe binds to the first card.
 */
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form || !form.dataset.stripeKey || typeof window.Stripe !== "function") {
    return;
  }
  var stripe = window.Stripe(form.dataset.stripeKey);
  var elements = stripe.elements({
    mode: "payment",
    amount: parseInt(form.dataset.amount, 10),
    currency: form.dataset.currency,
    paymentMethodCreation: "manual",
  });
  var paymentElement = elements.create("payment");
  var mount = document.getElementById("payment-element");
  mount.textContent = "";
  paymentElement.mount(mount);
  var createdMethod = null; // reused on retry until the card details change or the card is declined
  paymentElement.on("change", function () {
    createdMethod = null;
  });

  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");
  var methodField = form.querySelector("input[name=payment_method]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function show(text) {
    message.textContent = text;
    message.hidden = !text;
    button.disabled = false;
  }

  function post(fields) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrf);
    Object.keys(fields).forEach(function (name) {
      body.append(name, fields[name]);
    });
    return fetch(window.location.pathname, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(function (data) {
        data.ok = response.ok;
        return data;
      });
    });
  }

  function finish(data) {
    if (!data.ok) {
      if (data.code !== "gateway_unavailable") {
        createdMethod = null;
      }
      show(data.detail || "The payment did not go through. Nothing was charged.");
      return;
    }
    if (data.status === "requires_action" && data.client_secret) {
      return stripe
        .handleNextAction({ clientSecret: data.client_secret })
        .then(function (result) {
          if (result.error) {
            // The bank refused, or the payer closed the challenge: the server records it as failed.
            return post({ payment_intent: data.payment_intent }).then(function () {
              show(result.error.message || "Your bank did not confirm the payment. Nothing was charged.");
            });
          }
          return post({ payment_intent: data.payment_intent }).then(finish);
        });
    }
    window.location.assign(data.redirect);
  }

  form.addEventListener("submit", function (event) {
    if (event.defaultPrevented) {
      return; // the payer said no to the confirmation dialog
    }
    event.preventDefault();
    show("");
    button.disabled = true;
    var method = createdMethod
      ? Promise.resolve(createdMethod)
      : elements
          .submit()
          .then(function (submitted) {
            if (submitted.error) {
              throw submitted.error;
            }
            return stripe.createPaymentMethod({ elements: elements });
          })
          .then(function (created) {
            if (created.error) {
              throw created.error;
            }
            createdMethod = created.paymentMethod.id;
            return createdMethod;
          });
    method
      .then(function (id) {
        methodField.value = id;
        return post({ payment_method: id });
      })
      .then(finish)
      .catch(function (error) {
        show((error && error.message) || "The payment could not be sent. Nothing was charged; try again.");
      });
  });
})();
