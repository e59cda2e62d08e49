//! Evaluation order of parameters and detection of circular definitions.

use crate::ids::ParamId;

/// Orders parameters so that each comes after those it reads (`reads[p]` lists what `p`
/// reads). On a circular definition returns the cycle, starting and ending with the same id.
pub fn evaluation_order(reads: &[Vec<ParamId>]) -> Result<Vec<ParamId>, Vec<ParamId>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let n = reads.len();
    let mut mark = vec![Mark::New; n];
    let mut order = Vec::with_capacity(n);
    for root in 0..n {
        if mark[root] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (node, next child index).
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Active;
        while let Some((node, child)) = stack.last().copied() {
            let Some(next) = reads[node].get(child).map(|p| p.index()) else {
                mark[node] = Mark::Done;
                order.push(ParamId::new(node));
                stack.pop();
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            if next >= n {
                continue;
            }
            match mark[next] {
                Mark::Done => {}
                Mark::New => {
                    mark[next] = Mark::Active;
                    stack.push((next, 0));
                }
                Mark::Active => {
                    let start = stack.iter().position(|(s, _)| *s == next).unwrap_or(0);
                    let mut cycle: Vec<ParamId> = stack[start..].iter().map(|(s, _)| ParamId::new(*s)).collect();
                    cycle.push(ParamId::new(next));
                    return Err(cycle);
                }
            }
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[usize]) -> Vec<ParamId> {
        v.iter().map(|&i| ParamId::new(i)).collect()
    }

    #[test]
    fn orders_dependencies_first() {
        // 0 reads 2, 2 reads 1.
        let order = evaluation_order(&[ids(&[2]), ids(&[]), ids(&[1])]).expect("acyclic");
        let pos = |i: usize| order.iter().position(|p| p.index() == i).expect("present");
        assert!(pos(1) < pos(2) && pos(2) < pos(0));
    }

    #[test]
    fn reports_the_cycle() {
        let cycle = evaluation_order(&[ids(&[1]), ids(&[2]), ids(&[0]), ids(&[])]).expect_err("cyclic");
        assert_eq!(cycle, ids(&[0, 1, 2, 0]));
        let self_loop = evaluation_order(&[ids(&[0])]).expect_err("self");
        assert_eq!(self_loop, ids(&[0, 0]));
    }
}
