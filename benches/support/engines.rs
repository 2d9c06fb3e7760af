//! The same rule three ways, on the same fixtures: sovereign's evaluation core, the Rego of
//! `gatekeeper-template.yaml` through regorus, and the CEL of `vap.yaml` through the `cel`
//! crate. Each engine starts from the decoded AdmissionReview (`serde_json::Value`), converts
//! what its rule reads into its own representation, and answers allowed or not.
//!
//! Rego and CEL are given only the object and its namespace (Gatekeeper and the API server
//! convert the whole request, oldObject included), and their parameters and inventory are
//! converted once, up front: both choices flatter them.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use sovereign::evaluate::{Context, Decision, Object, evaluate};
use sovereign::inventory::Inventory;
use sovereign::policy::{PolicySet, SovereigntyPolicy};

use super::fixtures::World;

pub const GATEKEEPER_TEMPLATE: &str = include_str!("gatekeeper-template.yaml");
pub const VAP: &str = include_str!("vap.yaml");
/// The rule Gatekeeper queries.
pub const REGO_RULE: &str = "data.k8ssovereignplacement.violation";

/// The world's whole inventory, loaded the way files and watchers load it.
pub fn inventory(world: &World) -> Inventory {
    let mut inventory = Inventory::default();
    for object in world.inventory_objects() {
        let kept = inventory.add(&object).expect("generated inventory objects are valid");
        assert!(kept, "not an inventory kind: {}", object["kind"]);
    }
    inventory
}

/// The first `n` data classes' policies, compiled; panics if any is rejected.
pub fn policy_set(world: &World, n: usize) -> PolicySet {
    let policies: Vec<SovereigntyPolicy> = world
        .policies(n)
        .into_iter()
        .map(|p| serde_json::from_value(p).expect("generated policies are SovereigntyPolicies"))
        .collect();
    let set = PolicySet::compile(&policies);
    assert!(set.rejected.is_empty(), "generated policies rejected: {:?}", set.rejected);
    assert_eq!(set.classes.len(), n);
    set
}

/// What the webhook takes from a request besides the object.
pub struct RequestInfo<'a> {
    pub namespace: Option<&'a str>,
    pub user: Option<&'a str>,
    pub groups: Vec<String>,
}

impl<'a> RequestInfo<'a> {
    pub fn of(review: &'a Value) -> Self {
        let request = &review["request"];
        RequestInfo {
            namespace: request["namespace"].as_str(),
            user: request["userInfo"]["username"].as_str(),
            groups: request["userInfo"]["groups"]
                .as_array()
                .map(|g| g.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        }
    }

    pub fn context(&self) -> Context<'_> {
        Context { namespace: self.namespace, user: self.user, groups: &self.groups, ..Context::default() }
    }
}

/// sovereign: the object parsed as the webhook parses it, then judged.
pub fn sovereign_decision(review: &Value, inventory: &Inventory, set: &PolicySet) -> Result<Decision, String> {
    let object = Object::parse(&review["request"]["object"]).map_err(|e| e.to_string())?;
    let info = RequestInfo::of(review);
    Ok(evaluate(&object, &info.context(), inventory, set))
}

pub fn sovereign_allowed(review: &Value, inventory: &Inventory, set: &PolicySet) -> Result<bool, String> {
    sovereign_decision(review, inventory, set).map(|d| d.verdict.allowed())
}

/// The Gatekeeper template's Rego in regorus, with `data.inventory` loaded once.
pub struct Rego {
    engine: regorus::Engine,
    parameters: regorus::Value,
}

impl Rego {
    pub fn new(world: &World, n: usize) -> Rego {
        let template: Value = serde_yaml_ng::from_str(GATEKEEPER_TEMPLATE).expect("the template is YAML");
        let rego = template["spec"]["targets"][0]["rego"].as_str().expect("the template has Rego");
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(true);
        engine.add_policy("k8ssovereignplacement.rego".into(), rego.into()).expect("the Rego compiles");
        let data = regorus::Value::deserialize(&world.gatekeeper_inventory()).expect("inventory converts");
        engine.add_data(data).expect("inventory loads");
        let parameters = regorus::Value::deserialize(&world.parameters(n)).expect("parameters convert");
        let mut rego = Rego { engine, parameters };
        // The first evaluation prepares the engine; keep it out of every timing.
        let warm = rego.input(&serde_json::json!({"request": {"object": {"kind": "Pod"}}})).expect("input");
        let _ = rego.eval(warm);
        rego
    }

    /// `input`: `review.object`, `review.namespace` and the constraint's `parameters`.
    pub fn input(&self, review: &Value) -> Result<regorus::Value, String> {
        let request = &review["request"];
        let object = regorus::Value::deserialize(&request["object"]).map_err(|e| e.to_string())?;
        let mut review_value = regorus::Value::new_object();
        let fields = review_value.as_object_mut().map_err(|e| e.to_string())?;
        fields.insert("object".into(), object);
        fields.insert("namespace".into(), request["namespace"].as_str().unwrap_or_default().into());
        let mut input = regorus::Value::new_object();
        let fields = input.as_object_mut().map_err(|e| e.to_string())?;
        fields.insert("review".into(), review_value);
        fields.insert("parameters".into(), self.parameters.clone());
        Ok(input)
    }

    /// The violations' messages.
    pub fn violations(&mut self, input: regorus::Value) -> Result<Vec<String>, String> {
        self.engine.set_input(input);
        let result = self.engine.eval_rule(REGO_RULE.into()).map_err(|e| e.to_string())?;
        if result == regorus::Value::Undefined {
            return Ok(Vec::new());
        }
        let set = result.as_set().map_err(|e| e.to_string())?;
        Ok(set.iter().map(|v| v["msg"].as_string().map(|s| s.to_string()).unwrap_or_default()).collect())
    }

    pub fn eval(&mut self, input: regorus::Value) -> Result<bool, String> {
        self.violations(input).map(|v| v.is_empty())
    }

    pub fn allowed(&mut self, review: &Value) -> Result<bool, String> {
        let input = self.input(review)?;
        self.eval(input)
    }
}

/// The ValidatingAdmissionPolicy's CEL: variables evaluated in order, then validations.
pub struct Cel {
    root: cel::Context<'static, 'static>,
    variables: Vec<(String, cel::Program)>,
    validations: Vec<cel::Program>,
    /// `namespaceObject` for every namespace, converted once (the API server hands it over).
    namespaces: HashMap<String, cel::Value>,
}

/// What CEL evaluates one request with.
pub struct CelInput {
    pub object: cel::Value,
    pub namespace: cel::Value,
}

impl Cel {
    pub fn new(world: &World, n: usize) -> Cel {
        let policy: Value = serde_yaml_ng::from_str(VAP).expect("the policy is YAML");
        let compile = |expression: &Value| {
            let source = expression.as_str().expect("expressions are strings").replace("variables.", "var_");
            cel::Program::compile(&source).unwrap_or_else(|e| panic!("CEL does not compile: {e}\n{source}"))
        };
        let variables = policy["spec"]["variables"]
            .as_array()
            .expect("variables")
            .iter()
            .map(|v| (format!("var_{}", v["name"].as_str().expect("a name")), compile(&v["expression"])))
            .collect();
        let validations = policy["spec"]["validations"]
            .as_array()
            .expect("validations")
            .iter()
            .map(|v| compile(&v["expression"]))
            .collect();
        let mut root = cel::Context::default();
        root.add_variable("params", world.parameters(n)).expect("parameters convert");
        root.add_variable("inventory", world.cel_inventory()).expect("inventory converts");
        let namespaces = world
            .namespaces
            .iter()
            .map(|ns| (ns.name.clone(), cel::to_value(world.namespace_object(&ns.name)).expect("namespace converts")))
            .collect();
        Cel { root, variables, validations, namespaces }
    }

    pub fn input(&self, review: &Value) -> Result<CelInput, String> {
        let request = &review["request"];
        let object = cel::to_value(&request["object"]).map_err(|e| e.to_string())?;
        let ns = request["namespace"].as_str().unwrap_or_default();
        let namespace = match self.namespaces.get(ns) {
            Some(v) => v.clone(),
            None => cel::to_value(serde_json::json!({"metadata": {"name": ns}})).map_err(|e| e.to_string())?,
        };
        Ok(CelInput { object, namespace })
    }

    /// Whether every validation holds; an evaluation error fails closed, as `failurePolicy: Fail`.
    pub fn eval(&self, input: &CelInput) -> Result<bool, String> {
        let mut ctx = self.root.new_inner_scope();
        ctx.add_variable_from_value("object", input.object.clone());
        ctx.add_variable_from_value("namespaceObject", input.namespace.clone());
        for (name, program) in &self.variables {
            let value = program.execute(&ctx).map_err(|e| format!("{name}: {e}"))?;
            ctx.add_variable_from_value(name.as_str(), value);
        }
        for (i, program) in self.validations.iter().enumerate() {
            match program.execute(&ctx) {
                Ok(cel::Value::Bool(true)) => {}
                Ok(cel::Value::Bool(false)) => return Ok(false),
                Ok(other) => return Err(format!("validation {i} gave {other:?}")),
                Err(e) => return Err(format!("validation {i}: {e}")),
            }
        }
        Ok(true)
    }

    pub fn allowed(&self, review: &Value) -> Result<bool, String> {
        let input = self.input(review)?;
        self.eval(&input)
    }
}
